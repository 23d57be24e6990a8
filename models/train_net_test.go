package models

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

func netConfig(hidden []int, bn bool) config.Config {
	cfg := smallConfig()
	cfg.Hidden, cfg.BatchNorm, cfg.Lambda, cfg.Batch = hidden, bn, 0.01, 10
	cfg.Schedule, cfg.EtaMin, cfg.EtaMax, cfg.CycleSteps, cfg.Cycles, cfg.Epochs = "cyclic", 1e-4, 0.05, 5, 2, 0
	return cfg
}

// TestNetResumeBitIdentical: k-layer nets, with and without batch
// normalization, interrupted mid-epoch and resumed from their checkpoint
// (through the file format) give the uninterrupted run's parameters,
// running averages and metrics bit for bit; the cycles set the length.
func TestNetResumeBitIdentical(t *testing.T) {
	for _, c := range []struct {
		name   string
		hidden []int
		bn     bool
		dtype  string
		stopAt [2]int
	}{
		{"2-layer", []int{8}, false, "float64", [2]int{2, 3}},
		{"3-layer BN", []int{8, 6}, true, "float64", [2]int{1, 4}},
		{"3-layer BN float32", []int{8, 6}, true, "float32", [2]int{3, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := netConfig(c.hidden, c.bn)
			cfg.Dtype, cfg.Shuffle = c.dtype, true
			if c.dtype == "float32" {
				checkResume[float32](t, cfg, c.stopAt)
			} else {
				checkResume[float64](t, cfg, c.stopAt)
			}
		})
	}
}

// TestNetTrains: on separable synthetic data a 3-layer BN net trained for
// 4 cycles of 2·10 updates (50 images, batches of 10: 16 epochs) learns, its
// result and model file describe the network, and the model file's
// Predict and EvaluateModel agree with the result.
func TestNetTrains(t *testing.T) {
	d := Prepare[float64](synthetic(4, 50))
	cfg := netConfig([]int{12, 8}, true)
	cfg.Cycles, cfg.CycleSteps, cfg.EtaMax = 4, 10, 0.1
	tr := mustTrain(t, cfg, d)
	if n := len(tr.Result.Epochs); n != 16 {
		t.Fatalf("%d epochs, want 4 cycles × 20 updates / 5 per epoch = 16", n)
	}
	if acc := tr.Result.Splits["train"].AccuracyTrained; acc < 0.5 { // chance is 0.1
		t.Errorf("train accuracy %.2f", acc)
	}
	m := runfiles.NewModel(tr.Params, d.Classes, d.Normalizer)
	if len(m.W) != 0 || len(m.Tensors) != len(tr.Params.Tensors) || !m.BatchNorm {
		t.Fatalf("model of %d W values and %d tensors", len(m.W), len(m.Tensors))
	}
	dir := t.TempDir()
	if err := runfiles.WriteModel(dir, m); err != nil {
		t.Fatal(err)
	}
	back, err := runfiles.ReadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatal("model.json does not round-trip")
	}
	evs, err := EvaluateModel(context.Background(), back, d, engine.Spec{Device: "cpu", Loss: graph.CrossEntropy, Lambda: cfg.Lambda})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := evs["test"].Accuracy(), tr.Result.Splits["test"].AccuracyTrained; got != want {
		t.Errorf("EvaluateModel test accuracy %v, the run's %v", got, want)
	}
	correct := 0
	splits := synthetic(4, 50)
	for i := 0; i < splits.Test.Len(); i++ {
		p, err := Predict(back, splits.Test.Pixels[i*data.ImageSize:(i+1)*data.ImageSize])
		if err != nil {
			t.Fatal(err)
		}
		if p.Class == int(splits.Test.Labels[i]) {
			correct++
		}
	}
	if got := float64(correct) / float64(splits.Test.Len()); math.Abs(got-evs["test"].Accuracy()) > 1e-12 {
		t.Errorf("Predict's test accuracy %v, EvaluateModel's %v", got, evs["test"].Accuracy())
	}
}

// TestNetEarlyStopKeepsBest: with early stopping the network's final
// tensors are its best epoch's, running averages included.
func TestNetEarlyStopKeepsBest(t *testing.T) {
	d := Prepare[float64](synthetic(8, 50))
	cfg := netConfig([]int{6}, true)
	cfg.EarlyStop = 1
	var best []runfiles.Tensor
	opt := Options{OnCheckpoint: func(ck *runfiles.Checkpoint) error {
		best = ck.BestTensors
		return nil
	}}
	tr, err := Train(context.Background(), cfg, d, opt)
	if err != nil {
		t.Fatal(err)
	}
	if best == nil {
		t.Fatal("no best tensors in the checkpoint")
	}
	for i, ts := range tr.Params.Tensors {
		if ts.Name != best[i].Name || !reflect.DeepEqual(toFloats(ts.Data), best[i].Values) {
			t.Fatalf("final %s is not the best epoch's", ts.Name)
		}
	}
}

func TestNetRefusedLengths(t *testing.T) {
	d := Prepare[float64](synthetic(8, 50))
	cfg := netConfig([]int{6}, false)
	cfg.CycleSteps = 3 // 2 cycles of 6 updates: 12, not a multiple of 5 per epoch
	if _, err := Train(context.Background(), cfg, d, Options{}); err == nil || !strings.Contains(err.Error(), "whole number of epochs") {
		t.Errorf("err = %v", err)
	}
}
