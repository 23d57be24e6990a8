package models

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/gtrain/gtrain/data/datatest"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// realData returns the course's split of the real CIFAR-10, normalized, or
// skips the test when CIFAR10_DIR is unset (fails it under
// GTRAIN_REQUIRE_DATA=1).
func realData(t *testing.T) config.DataConfig {
	t.Helper()
	dir := datatest.CIFAR10Dir(t)
	if testing.Short() {
		t.Skip("-short: skipping 40-epoch training on the real CIFAR-10")
	}
	dc := config.DefaultConfig().Data
	dc.Dir = dir
	return dc
}

// The report's figures and this code's own for every run of the report
// are checked by models/sweep's TestReportReproduced: the sweep of
// examples/dd2424-a1.yaml, with its published figures, as 'gtrain sweep
// run' trains it and 'gtrain sweep check' checks it.

// TestReportModel3Float32: the float32 graph lands where float64 does, run
// for run: the same accuracies within 0.1 point (measured: identical on all
// three splits) and costs within 3e-5 relative (measured: 8e-6 at most).
// The float64 run is the report's checked one (TestReportReproduced in
// models/sweep).
func TestReportModel3Float32(t *testing.T) {
	dc := realData(t)
	splits, err := LoadSplits(dc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultConfig()
	cfg.Data = dc
	tr64, err := Train(context.Background(), cfg, Prepare[float64](splits), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dtype = "float32"
	tr32, err := Train(context.Background(), cfg, Prepare[float32](splits), Options{})
	if err != nil {
		t.Fatal(err)
	}
	const accTol, costRel = 0.001, 3e-5
	for _, s := range runfiles.SplitNames {
		a, b := tr32.Result.Splits[s], tr64.Result.Splits[s]
		t.Logf("%s: accuracy %.2f%% float32, %.2f%% float64; cost %.9f and %.9f (relative %.2g)", s, 100*a.AccuracyTrained, 100*b.AccuracyTrained,
			a.CostTrained, b.CostTrained, math.Abs(a.CostTrained-b.CostTrained)/b.CostTrained)
		if math.Abs(a.AccuracyTrained-b.AccuracyTrained) > accTol {
			t.Errorf("%s: accuracy %.2f%% in float32, %.2f%% in float64 (± %.1f)", s, 100*a.AccuracyTrained, 100*b.AccuracyTrained, 100*accTol)
		}
		if math.Abs(a.CostTrained-b.CostTrained) > costRel*b.CostTrained || math.Abs(a.LossTrained-b.LossTrained) > costRel*b.LossTrained {
			t.Errorf("%s: cost %.9f, loss %.9f in float32; %.9f, %.9f in float64 (± %.0e relative)", s, a.CostTrained, a.LossTrained, b.CostTrained, b.LossTrained, costRel)
		}
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// TestBestLinear: the documented configuration of examples/best-linear.yaml
// (chosen on validation accuracy) reaches at least 41.5 % test accuracy.
func TestBestLinear(t *testing.T) {
	dc := realData(t)
	cfg := config.DefaultConfig()
	if err := config.LoadConfigFile(filepath.Join("..", "examples", "best-linear.yaml"), &cfg); err != nil {
		t.Fatal(err)
	}
	dc.Train, dc.Val, dc.ValHoldout = cfg.Data.Train, cfg.Data.Val, cfg.Data.ValHoldout
	cfg.Data = dc
	splits, err := LoadSplits(dc)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Train(context.Background(), cfg, Prepare[float32](splits), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := tr.Result
	t.Logf("best-linear: val %.2f%%, test %.2f%%, median epoch %.2fs", 100*r.Splits["val"].AccuracyTrained, 100*r.Splits["test"].AccuracyTrained, median(r.EpochSeconds))
	if got := r.Splits["test"].AccuracyTrained; got < 0.415 {
		t.Errorf("test accuracy %.2f%% < 41.5%%", 100*got)
	}
}

// TestBestMLP: the documented configuration of examples/best-mlp.yaml,
// our best fully connected network, reaches at least 56 % test accuracy
// (measured 58.42 %). About half an hour on two cores: GTRAIN_LONG=1.
func TestBestMLP(t *testing.T) {
	if os.Getenv("GTRAIN_LONG") != "1" {
		t.Skip("GTRAIN_LONG=1 runs it (12 epochs of a 3072-1024-512-10 network on 49 000 images)")
	}
	dc := realData(t)
	cfg := config.DefaultConfig()
	if err := config.LoadConfigFile(filepath.Join("..", "examples", "best-mlp.yaml"), &cfg); err != nil {
		t.Fatal(err)
	}
	dc.Train, dc.Val, dc.ValHoldout = cfg.Data.Train, cfg.Data.Val, cfg.Data.ValHoldout
	cfg.Data = dc
	splits, err := LoadSplits(dc)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Train(context.Background(), cfg, Prepare[float32](splits), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := tr.Result
	t.Logf("best-mlp: val %.2f%%, test %.2f%%, %.0f s", 100*r.Splits["val"].AccuracyTrained, 100*r.Splits["test"].AccuracyTrained, r.TotalSeconds)
	if got := r.Splits["test"].AccuracyTrained; got < 0.56 {
		t.Errorf("test accuracy %.2f%% < 56%%", 100*got)
	}
}
