package engine

import (
	"fmt"

	"github.com/gtrain/gtrain/graph"
)

// NetEngine is an Engine over the parameters of any network the trainer
// trains (graph.MLPParams: the linear classifier is the network without
// hidden layers). A step of a batch-normalized network also moves the
// running averages of its batch statistics; Evaluate uses them.
type NetEngine[T graph.Float] interface {
	Step(b Batch[T], eta float64) (float64, error)
	Evaluate(split string) (Eval, error)
	// Params returns the current parameters on the host: the MLPParams
	// the engine was built with.
	Params() (*graph.MLPParams[T], error)
	Close() error
}

// NetFactory builds the engines of k-layer networks of one device kind;
// its zero value: the kind trains the linear classifier only.
type NetFactory struct {
	Float32 func(p *graph.MLPParams[float32], spec Spec, splits Splits[float32]) (NetEngine[float32], error)
	Float64 func(p *graph.MLPParams[float64], spec Spec, splits Splits[float64]) (NetEngine[float64], error)
}

// NewNet builds the engine of spec.Device for p from Default.
func NewNet[T graph.Float](p *graph.MLPParams[T], spec Spec, splits Splits[T]) (NetEngine[T], error) {
	return NewNetFrom(&Default, p, spec, splits)
}

// NewNetFrom builds the engine of spec.Device for p from r: the kind's
// linear engine over p's W1 and b1 when p has no hidden layer, else its
// NetFactory's.
func NewNetFrom[T graph.Float](r *Registry, p *graph.MLPParams[T], spec Spec, splits Splits[T]) (NetEngine[T], error) {
	if p.Arch.Linear() {
		view, err := graph.LinearView(p)
		if err != nil {
			return nil, err
		}
		e, err := NewFrom(r, view, spec, splits)
		if err != nil {
			return nil, err
		}
		return linearNet(e, p), nil
	}
	f, err := r.Lookup(spec.Device)
	if err != nil {
		return nil, err
	}
	switch p := any(p).(type) {
	case *graph.MLPParams[float32]:
		if f.Net.Float32 != nil {
			e, err := f.Net.Float32(p, spec, any(splits).(Splits[float32]))
			if err != nil {
				return nil, err
			}
			return any(e).(NetEngine[T]), nil
		}
	case *graph.MLPParams[float64]:
		if f.Net.Float64 != nil {
			e, err := f.Net.Float64(p, spec, any(splits).(Splits[float64]))
			if err != nil {
				return nil, err
			}
			return any(e).(NetEngine[T]), nil
		}
	}
	return nil, fmt.Errorf("device %s: networks with hidden layers do not run on %s yet (the linear classifier does)", spec.Device, Kind(spec.Device))
}

// EpochTrainer is implemented by engines that run a whole epoch of steps
// with no host synchronization in it (package cuda): batches are the rows
// order[i·B:(i+1)·B] of the split called split, one of those the engine
// was built with (consecutive rows when order is nil), etas holds the
// rate of each step, and the costs of the steps come back.
type EpochTrainer[T graph.Float] interface {
	TrainEpoch(split string, order []int, etas []float64) ([]float64, error)
}

// linearNet returns e, an engine of the linear classifier over p's W1 and
// b1, as a NetEngine; it keeps e's TrainEpoch when it has one.
func linearNet[T graph.Float](e Engine[T], p *graph.MLPParams[T]) NetEngine[T] {
	l := &linear[T]{e: e, p: p}
	if ep, ok := e.(EpochTrainer[T]); ok {
		return &linearEpochs[T]{linear: l, ep: ep}
	}
	return l
}

type linear[T graph.Float] struct {
	e Engine[T]
	p *graph.MLPParams[T]
}

func (l *linear[T]) Step(b Batch[T], eta float64) (float64, error) { return l.e.Step(b, eta) }
func (l *linear[T]) Evaluate(split string) (Eval, error)           { return l.e.Evaluate(split) }
func (l *linear[T]) Close() error                                  { return l.e.Close() }

// Params brings the engine's W and b into the view it was built with,
// which is p's W1 and b1.
func (l *linear[T]) Params() (*graph.MLPParams[T], error) {
	if _, err := l.e.Params(); err != nil {
		return nil, err
	}
	return l.p, nil
}

type linearEpochs[T graph.Float] struct {
	*linear[T]
	ep EpochTrainer[T]
}

func (l *linearEpochs[T]) TrainEpoch(split string, order []int, etas []float64) ([]float64, error) {
	return l.ep.TrainEpoch(split, order, etas)
}
