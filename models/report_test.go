package models

import (
	"context"
	"fmt"
	"math"
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

// ours is what this code itself measures for a configuration on the CPU
// (default build, seed 0): test and training accuracy and training cost.
// The run is deterministic, so these are pinned tightly, apart from the
// ±1 point agreement with the published report. The zero value pins
// nothing.
type ours struct{ testAcc, trainAcc, trainCost float64 }

// The tolerances of the pins: 0.05 points of accuracy (5 images of 10 000)
// and 1e-6 relative of cost. They leave room for the rounding of other
// kernels or BLAS (without the AVX2 kernels, graph.BLASOptions.NoAVX2, the
// run measured the same figures to 9 digits) and catch what ±1 point could
// not: at λ = 0.1 a missing 2λW leaves the
// test accuracy 0.1 point away (38.93 % for 39.03 %) but moves the
// training accuracy by +0.5 points and the training cost from 1.762 to
// 1.996; λW for 2λW moves them by +0.23 points and to 1.831.
const pinAcc, pinCostRel = 0.0005, 1e-6

func checkOurs(t *testing.T, r *runfiles.Result, want ours) {
	t.Helper()
	test, train := r.Splits["test"], r.Splits["train"]
	t.Logf("ours{%.4f, %.4f, %.9f}", test.AccuracyTrained, train.AccuracyTrained, train.CostTrained)
	if want == (ours{}) {
		return
	}
	if math.Abs(test.AccuracyTrained-want.testAcc) > pinAcc || math.Abs(train.AccuracyTrained-want.trainAcc) > pinAcc {
		t.Errorf("accuracy test %.2f%%, train %.2f%%; this code measured %.2f%% and %.2f%% (± %.2f)", 100*test.AccuracyTrained, 100*train.AccuracyTrained,
			100*want.testAcc, 100*want.trainAcc, 100*pinAcc)
	}
	if math.Abs(train.CostTrained-want.trainCost) > pinCostRel*want.trainCost {
		t.Errorf("training cost %.9f; this code measured %.9f (± %.0e relative)", train.CostTrained, want.trainCost, pinCostRel)
	}
}

// TestReportCrossEntropyTable reproduces the report's cross-entropy table
// (40 epochs, batches of 100, course split): test accuracy within 1.0
// point of the report, 2.5 for the unstable η = 0.1, and our own figures
// pinned (not for η = 0.1, whose steps amplify the kernels' rounding).
func TestReportCrossEntropyTable(t *testing.T) {
	dc := realData(t)
	splits, err := LoadSplits(dc)
	if err != nil {
		t.Fatal(err)
	}
	d := Prepare[float64](splits)
	for _, c := range []struct {
		lambda, eta, want, tol float64
		ours                   ours
	}{
		{0, 0.1, 0.2870, 0.025, ours{}},
		{0, 0.001, 0.3886, 0.010, ours{0.3893, 0.4521, 1.612146162}},
		{0.1, 0.001, 0.3901, 0.010, ours{0.3903, 0.4471, 1.761491747}},
		{1, 0.001, 0.3750, 0.010, ours{0.3748, 0.3985, 1.899737646}},
	} {
		t.Run(fmt.Sprintf("lambda=%g/eta=%g", c.lambda, c.eta), func(t *testing.T) {
			cfg := config.DefaultConfig()
			cfg.Data = dc
			cfg.Lambda, cfg.Eta = c.lambda, c.eta
			tr, err := Train(context.Background(), cfg, d, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := tr.Result.Splits["test"].AccuracyTrained
			t.Logf("test accuracy %.2f%% (report %.2f%%), val %.2f%%, train %.2f%%, median epoch %.3fs", 100*got, 100*c.want,
				100*tr.Result.Splits["val"].AccuracyTrained, 100*tr.Result.Splits["train"].AccuracyTrained, median(tr.Result.EpochSeconds))
			if math.Abs(got-c.want) > c.tol {
				t.Errorf("test accuracy %.2f%%, report %.2f%% ± %.1f", 100*got, 100*c.want, 100*c.tol)
			}
			checkOurs(t, tr.Result, c.ours)
		})
	}
}

// TestReportModel3Float32: the float32 graph lands where float64 does, run
// for run: the same accuracies within 0.1 point (measured: identical on all
// three splits) and costs within 3e-5 relative (measured: 8e-6 at most),
// and the report's 39.01 % within a point.
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
	if got := tr32.Result.Splits["test"].AccuracyTrained; math.Abs(got-0.3901) > 0.01 {
		t.Errorf("test accuracy %.2f%%, report 39.01%% ± 1.0", 100*got)
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// reportRun trains the configuration of an example file on the course's
// split and checks its test accuracy against the report's figure.
type reportRun struct {
	example   string  // file in examples/
	want, tol float64 // the report's test accuracy and the accepted distance
	ours      ours    // this code's own figures, pinned
}

func runExamples(t *testing.T, runs []reportRun) {
	dc := realData(t)
	splits, err := LoadSplits(dc)
	if err != nil {
		t.Fatal(err)
	}
	prepared := map[string]any{}
	for _, r := range runs {
		t.Run(r.example, func(t *testing.T) {
			cfg := config.DefaultConfig()
			if err := config.LoadConfigFile(filepath.Join("..", "examples", r.example), &cfg); err != nil {
				t.Fatal(err)
			}
			cfg.Data = dc
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			var res *runfiles.Result
			if cfg.Dtype == "float32" {
				d, ok := prepared["float32"].(*Prepared[float32])
				if !ok {
					d = Prepare[float32](splits)
					prepared["float32"] = d
				}
				tr, err := Train(context.Background(), cfg, d, Options{})
				if err != nil {
					t.Fatal(err)
				}
				res = tr.Result
			} else {
				d, ok := prepared["float64"].(*Prepared[float64])
				if !ok {
					d = Prepare[float64](splits)
					prepared["float64"] = d
				}
				tr, err := Train(context.Background(), cfg, d, Options{})
				if err != nil {
					t.Fatal(err)
				}
				res = tr.Result
			}
			got := res.Splits["test"].AccuracyTrained
			t.Logf("%s: test accuracy %.2f%% (report %.2f%%), val %.2f%%, train %.2f%%, median epoch %.3fs", r.example, 100*got, 100*r.want,
				100*res.Splits["val"].AccuracyTrained, 100*res.Splits["train"].AccuracyTrained, median(res.EpochSeconds))
			if math.Abs(got-r.want) > r.tol {
				t.Errorf("test accuracy %.2f%%, report %.2f%% ± %.1f", 100*got, 100*r.want, 100*r.tol)
			}
			checkOurs(t, res, r.ours)
		})
	}
}

// TestReportSVMTable reproduces the report's SVM table: within 1.0 point,
// 2.5 for the unstable η = 0.1, and our own figures pinned (not for
// η = 0.1).
func TestReportSVMTable(t *testing.T) {
	runExamples(t, []reportRun{
		{"svm-model1.yaml", 0.3004, 0.025, ours{}},
		{"svm-model2.yaml", 0.3535, 0.010, ours{0.3532, 0.4816, 2.991636892}},
		{"svm-model3.yaml", 0.3578, 0.010, ours{0.3584, 0.4689, 3.509204215}},
		{"svm-model4.yaml", 0.3662, 0.010, ours{0.3617, 0.4141, 4.358420925}},
	})
}

// TestReportImprovements reproduces the report's improvement experiments
// within 1.0 point, and pins our own figures. The 500-epoch run is
// included, not left to a flag: 12.5 times a 40-epoch run, 77 to 184 s
// measured on two cores shared with other jobs.
func TestReportImprovements(t *testing.T) {
	runExamples(t, []reportRun{
		{"decay.yaml", 0.3933, 0.010, ours{0.3929, 0.4637, 1.691782064}},
		{"shuffle.yaml", 0.3923, 0.010, ours{0.3914, 0.4458, 1.761853842}},
		{"gaussian.yaml", 0.3846, 0.010, ours{0.3897, 0.4521, 1.612178219}},
		{"salt-pepper.yaml", 0.3851, 0.010, ours{0.3902, 0.4514, 1.613283891}},
		{"best-combination.yaml", 0.3989, 0.010, ours{0.3973, 0.4657, 1.687944941}},
		{"epochs500.yaml", 0.3955, 0.010, ours{0.3947, 0.4651, 1.688185213}},
	})
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
