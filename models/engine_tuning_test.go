package models

import (
	"context"
	"reflect"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// TestEngineTuning: Options.Tuning reaches the engine's spec, the CPU
// engine builds its graphs with TapeReset, and the training ends with the
// bits of the default engine's: the same parameters and metrics.
func TestEngineTuning(t *testing.T) {
	d := Prepare[float64](synthetic(3, 60))
	cfg := smallConfig()
	want := mustTrain(t, cfg, d)
	var got engine.Tuning
	engine.Register("tuningtest", engine.Factory{
		Float64: func(p *graph.Params[float64], s engine.Spec, splits engine.Splits[float64]) (engine.Engine[float64], error) {
			got = s.Tuning
			e, err := newCPUEngine(p, s, splits)
			if err == nil && !e.tapeReset {
				t.Error("the CPU engine dropped TapeReset")
			}
			return e, err
		},
	})
	cfg.Device = "tuningtest"
	tuning := engine.Tuning{TapeReset: true, NoFuse: true}
	tr, err := Train(context.Background(), cfg, d, Options{Tuning: tuning})
	if err != nil {
		t.Fatal(err)
	}
	if got != tuning {
		t.Errorf("the engine got the tuning %+v, want %+v", got, tuning)
	}
	if !reflect.DeepEqual(tr.Params, want.Params) || !reflect.DeepEqual(stripSeconds(tr.Result.Epochs), stripSeconds(want.Result.Epochs)) {
		t.Error("with TapeReset the training ends elsewhere")
	}
}
