package engine

import (
	"fmt"

	"github.com/gtrain/gtrain/graph"
)

// NetStackEngine is a StackEngine over the parameters of any network
// (graph.MLPParams): the stacked trainer's one interface for linear and
// network members. A step of batch-normalized members also moves each
// member's running averages of its own batch statistics.
type NetStackEngine[T graph.Float] interface {
	Step(b Batch[T], etas, costs []float64) error
	Evaluate(split string, evs []Eval) error
	Freeze(m int)
	// Params returns each member's current parameters on the host.
	Params() ([]*graph.MLPParams[T], error)
	Close() error
}

// NetStackFactory builds the stacked engines of networks with hidden
// layers of one device kind, from the members' initial parameters (all of
// one architecture; copied in); its zero value: the kind's networks train
// alone.
type NetStackFactory struct {
	Float32 func(ps []*graph.MLPParams[float32], spec StackSpec, splits Splits[float32]) (NetStackEngine[float32], error)
	Float64 func(ps []*graph.MLPParams[float64], spec StackSpec, splits Splits[float64]) (NetStackEngine[float64], error)
}

// StacksNetworks reports whether device's engines train stacks of networks
// with hidden layers (Stacks says it of the linear classifier).
func (r *Registry) StacksNetworks(device string) bool {
	f, err := r.Lookup(device)
	return err == nil && f.NetStack.Float32 != nil && f.NetStack.Float64 != nil
}

// StacksNetworks reports whether Default's engine of device trains stacks
// of networks with hidden layers.
func StacksNetworks(device string) bool { return Default.StacksNetworks(device) }

// NewNetStack builds the stacked engine of spec.Device for ps from Default.
func NewNetStack[T graph.Float](ps []*graph.MLPParams[T], spec StackSpec, splits Splits[T]) (NetStackEngine[T], error) {
	return NewNetStackFrom(&Default, ps, spec, splits)
}

// NewNetStackFrom builds the stacked engine of spec.Device for ps from r:
// the kind's stacked engine of the linear classifier over the members' W1
// and b1 when they have no hidden layer, else its NetStackFactory's.
func NewNetStackFrom[T graph.Float](r *Registry, ps []*graph.MLPParams[T], spec StackSpec, splits Splits[T]) (NetStackEngine[T], error) {
	if len(ps) != len(spec.Members) || len(ps) == 0 {
		return nil, fmt.Errorf("engine: a stack of %d members with %d parameter sets", len(spec.Members), len(ps))
	}
	a := ps[0].Arch
	for i, p := range ps {
		if !graph.SameArch(p.Arch, a) {
			return nil, fmt.Errorf("engine: stack member %d is a %s network, member 0 a %s one; a stack's members share one architecture", i, p.Arch, a)
		}
	}
	if a.Linear() {
		views := make([]*graph.Params[T], len(ps))
		for i, p := range ps {
			v, err := graph.LinearView(p)
			if err != nil {
				return nil, err
			}
			views[i] = v
		}
		e, err := NewStackFrom(r, views, spec, splits)
		if err != nil {
			return nil, err
		}
		return &linearStack[T]{e: e}, nil
	}
	f, err := r.Lookup(spec.Device)
	if err != nil {
		return nil, err
	}
	switch ps := any(ps).(type) {
	case []*graph.MLPParams[float32]:
		if f.NetStack.Float32 != nil {
			e, err := f.NetStack.Float32(ps, spec, any(splits).(Splits[float32]))
			if err != nil {
				return nil, err
			}
			return any(e).(NetStackEngine[T]), nil
		}
	case []*graph.MLPParams[float64]:
		if f.NetStack.Float64 != nil {
			e, err := f.NetStack.Float64(ps, spec, any(splits).(Splits[float64]))
			if err != nil {
				return nil, err
			}
			return any(e).(NetStackEngine[T]), nil
		}
	}
	return nil, fmt.Errorf("device %s: its engine does not train stacks of networks with hidden layers (train them alone: --stack 1)", spec.Device)
}

// linearStack is a stacked engine of the linear classifier as a
// NetStackEngine: its members' parameters are the networks without hidden
// layers over the engine's W and b (graph.AsNet).
type linearStack[T graph.Float] struct {
	e StackEngine[T]
}

func (l *linearStack[T]) Step(b Batch[T], etas, costs []float64) error {
	return l.e.Step(b, etas, costs)
}
func (l *linearStack[T]) Evaluate(split string, evs []Eval) error {
	return l.e.Evaluate(split, evs)
}
func (l *linearStack[T]) Freeze(m int) { l.e.Freeze(m) }
func (l *linearStack[T]) Close() error { return l.e.Close() }

func (l *linearStack[T]) Params() ([]*graph.MLPParams[T], error) {
	ps, err := l.e.Params()
	if err != nil {
		return nil, err
	}
	out := make([]*graph.MLPParams[T], len(ps))
	for i, p := range ps {
		out[i] = graph.AsNet(p)
	}
	return out, nil
}
