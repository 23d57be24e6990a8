package models

import (
	"reflect"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
)

// epochEngine adds TrainEpoch to the CPU engine, done step by step as the
// contract says, to check that the trainer's fast path (used by the GPU)
// passes the right order and rates.
type epochEngine[T graph.Float] struct {
	engine.Engine[T]
	splits engine.Splits[T]
	epochs int
}

func (e *epochEngine[T]) TrainEpoch(split string, order []int, etas []float64) ([]float64, error) {
	e.epochs++
	s, err := e.splits.Lookup(split)
	if err != nil {
		return nil, err
	}
	b := s.Len() / len(etas)
	costs := make([]float64, len(etas))
	for step, eta := range etas {
		idx := make([]int, b)
		for i := range idx {
			idx[i] = step*b + i
			if order != nil {
				idx[i] = order[step*b+i]
			}
		}
		c, err := e.Step(engine.Batch[T]{Split: s.Name, Rows: idx}, eta)
		if err != nil {
			return nil, err
		}
		costs[step] = c
	}
	return costs, nil
}

var fastEpochs int

// epochTestFactory is the engine of the device kind "epochtest", which
// TestMain registers.
func epochTestFactory() engine.Factory {
	return engine.Factory{
		Float32: func(p *graph.Params[float32], s engine.Spec, splits engine.Splits[float32]) (engine.Engine[float32], error) {
			return NewCPUEngine(p, s.Loss, s.Lambda, s.Batch, splits...)
		},
		Float64: func(p *graph.Params[float64], s engine.Spec, splits engine.Splits[float64]) (engine.Engine[float64], error) {
			e, err := NewCPUEngine(p, s.Loss, s.Lambda, s.Batch, splits...)
			return &countingEngine{epochEngine[float64]{Engine: e, splits: splits}}, err
		},
	}
}

type countingEngine struct{ epochEngine[float64] }

func (c *countingEngine) TrainEpoch(split string, order []int, etas []float64) ([]float64, error) {
	fastEpochs++
	return c.epochEngine.TrainEpoch(split, order, etas)
}

// TestFastEpochPath: an engine with TrainEpoch gets whole epochs (not with
// augmentation) and ends where the step-by-step path ends, for shuffled
// runs and per-step (cyclic) rates too.
func TestFastEpochPath(t *testing.T) {
	d := Prepare[float64](synthetic(31, 40))
	for _, c := range []struct {
		name    string
		change  func(*config.Config)
		wantUse bool
	}{
		{"plain", func(*config.Config) {}, true},
		{"shuffle+cyclic", func(c *config.Config) {
			c.Shuffle, c.Schedule, c.EtaMin, c.EtaMax, c.CycleSteps = true, "cyclic", 0.001, 0.02, 3
		}, true},
		{"augment", func(c *config.Config) { c.Augment = []string{"flip:0.5"} }, false},
	} {
		cfg := smallConfig()
		cfg.Batch = 10
		c.change(&cfg)
		want := mustTrain(t, cfg, d)
		cfg.Device = "epochtest"
		fastEpochs = 0
		got := mustTrain(t, cfg, d)
		if used := fastEpochs == cfg.Epochs; used != c.wantUse {
			t.Errorf("%s: TrainEpoch called %d times for %d epochs", c.name, fastEpochs, cfg.Epochs)
		}
		if !reflect.DeepEqual(got.Params, want.Params) || !reflect.DeepEqual(stripSeconds(got.Result.Epochs), stripSeconds(want.Result.Epochs)) {
			t.Errorf("%s: the fast path ends elsewhere than the step path", c.name)
		}
	}
}

// The trainer finds the fast path by a type assertion: this keeps the
// test engine's TrainEpoch the interface's.
var _ engine.EpochTrainer[float64] = (*countingEngine)(nil)
