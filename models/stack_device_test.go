package models

import (
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// deviceStack is the CPU stack behind the contract of a device's stacked
// engine (the CUDA one's): the parameters live in the engine; Params
// copies them into views of its own, which the next Step or Evaluate
// after it copies back (the caller may have changed them). A trainer that
// read the views without calling Params since the last step, or changed
// them without calling it first, would see stale values or lose its
// change.
type deviceStack[T graph.Float] struct {
	engine.StackEngine[T] // the device's
	host                  []*graph.Params[T]
	onHost                bool // host is current, and the device gets it before its next use
}

// deviceStackFactory is the factory of the device kind "devstack": the
// CPU's engines, its stacked one as deviceStack.
func deviceStackFactory() engine.Factory {
	f := CPUFactory()
	f.Stack = engine.StackFactory{
		Float32: func(ps []*graph.Params[float32], s engine.StackSpec, splits engine.Splits[float32]) (engine.StackEngine[float32], error) {
			return newDeviceStack(ps, s, splits)
		},
		Float64: func(ps []*graph.Params[float64], s engine.StackSpec, splits engine.Splits[float64]) (engine.StackEngine[float64], error) {
			return newDeviceStack(ps, s, splits)
		},
	}
	return f
}

func newDeviceStack[T graph.Float](ps []*graph.Params[T], spec engine.StackSpec, splits engine.Splits[T]) (*deviceStack[T], error) {
	e, err := newCPUStack(ps, spec, splits)
	if err != nil {
		return nil, err
	}
	s := &deviceStack[T]{StackEngine: e, onHost: true}
	for _, p := range ps {
		s.host = append(s.host, p.Clone())
	}
	return s, nil
}

func (s *deviceStack[T]) Params() ([]*graph.Params[T], error) {
	if !s.onHost {
		dev, err := s.StackEngine.Params()
		if err != nil {
			return nil, err
		}
		for i, p := range dev {
			s.host[i].CopyFrom(p)
		}
		s.onHost = true
	}
	return s.host, nil
}

func (s *deviceStack[T]) push() error {
	if !s.onHost {
		return nil
	}
	dev, err := s.StackEngine.Params()
	if err != nil {
		return err
	}
	for i, p := range dev {
		p.CopyFrom(s.host[i])
	}
	return nil
}

func (s *deviceStack[T]) Step(b engine.Batch[T], etas, costs []float64) error {
	if err := s.push(); err != nil {
		return err
	}
	s.onHost = false
	return s.StackEngine.Step(b, etas, costs)
}

func (s *deviceStack[T]) Evaluate(split string, evs []engine.Eval) error {
	if err := s.push(); err != nil {
		return err
	}
	return s.StackEngine.Evaluate(split, evs)
}

// TestStackOnDevice is TestStackTrainsAsAlone on a device's stacked
// engine (deviceStack): the trainer reads the members' parameters (for
// checkpoints, the best epoch, the results, a rebuilt stack) and
// restores the best epoch's through Params, and gets the lone runs'
// bits.
func TestStackOnDevice(t *testing.T) {
	needBitsAcrossShapes(t)
	splits := synthetic(3, 140)
	checkStackAsAlone(t, Prepare[float64](splits), "float64", nil, "devstack")
}
