package engine

import (
	"fmt"

	"github.com/gtrain/gtrain/graph"
)

// StackEngine trains M members (configurations that share every
// mini-batch) as one graph on one device (graph.Stack): each step computes
// every member's cost and gradients on the same rows and updates each
// member with its own rate. Members are independent: a frozen member is no
// longer updated, whatever its gradients (a diverged member must not
// touch its stack-mates, and a finished one keeps its parameters).
type StackEngine[T graph.Float] interface {
	// Step computes each member's cost on one mini-batch and applies its
	// update with etas[m]: W ← (1−2ηλ)W − η ∂data/∂W, b ← b − η ∂data/∂b.
	// costs[m] receives member m's batch cost before the update (also
	// for frozen members).
	Step(b Batch[T], etas, costs []float64) error
	// Evaluate sets evs[m] to member m's evaluation of the split called
	// split, one of those the engine was built with.
	Evaluate(split string, evs []Eval) error
	// Freeze stops the updates of member m.
	Freeze(m int)
	// Params returns each member's current parameters on the host.
	Params() ([]*graph.Params[T], error)
	// Close releases the engine's resources.
	Close() error
}

// Member is what a stack's member differs in from its stack-mates.
type Member struct {
	Loss   graph.Loss
	Lambda float64
}

// StackSpec is what a stacked engine is built for: Members[m] is member
// m's; Device, Batch and Tuning as in Spec.
type StackSpec struct {
	Device  string
	Members []Member
	Batch   int
	Tuning  Tuning
}

// StackFactory builds stacked engines of one device kind, from the
// members' initial parameters (copied in).
type StackFactory struct {
	Float32 func(ps []*graph.Params[float32], spec StackSpec, splits Splits[float32]) (StackEngine[float32], error)
	Float64 func(ps []*graph.Params[float64], spec StackSpec, splits Splits[float64]) (StackEngine[float64], error)
}

// Stacks reports whether device's engines train stacks of the linear
// classifier (StacksNetworks: of networks with hidden layers).
func (r *Registry) Stacks(device string) bool {
	f, err := r.Lookup(device)
	return err == nil && f.Stack.Float32 != nil && f.Stack.Float64 != nil
}

// NewStackFrom builds the stacked engine of spec.Device for the dtype T
// from r.
func NewStackFrom[T graph.Float](r *Registry, ps []*graph.Params[T], spec StackSpec, splits Splits[T]) (StackEngine[T], error) {
	f, err := r.Lookup(spec.Device)
	if err != nil {
		return nil, err
	}
	if len(ps) != len(spec.Members) || len(ps) == 0 {
		return nil, fmt.Errorf("engine: a stack of %d members with %d parameter sets", len(spec.Members), len(ps))
	}
	switch ps := any(ps).(type) {
	case []*graph.Params[float32]:
		if f.Stack.Float32 != nil {
			e, err := f.Stack.Float32(ps, spec, any(splits).(Splits[float32]))
			if err != nil {
				return nil, err
			}
			return any(e).(StackEngine[T]), nil
		}
	case []*graph.Params[float64]:
		if f.Stack.Float64 != nil {
			e, err := f.Stack.Float64(ps, spec, any(splits).(Splits[float64]))
			if err != nil {
				return nil, err
			}
			return any(e).(StackEngine[T]), nil
		}
	}
	return nil, fmt.Errorf("device %s: its engine does not train stacks (train the runs alone: --stack 1)", spec.Device)
}

// Stacks reports whether Default's engine of device trains stacks of the
// linear classifier.
func Stacks(device string) bool { return Default.Stacks(device) }

// NewStack builds the stacked engine of spec.Device for the dtype T from
// Default.
func NewStack[T graph.Float](ps []*graph.Params[T], spec StackSpec, splits Splits[T]) (StackEngine[T], error) {
	return NewStackFrom(&Default, ps, spec, splits)
}
