package models

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/gtrain/gtrain/internal/testenv"
)

// realData returns the course's split of the real CIFAR-10, normalized, or
// skips the test when CIFAR10_DIR is unset (fails it under
// GTRAIN_REQUIRE_DATA=1).
func realData(t *testing.T) DataConfig {
	t.Helper()
	dir := testenv.CIFAR10Dir(t)
	if testing.Short() {
		t.Skip("-short: skipping 40-epoch training on the real CIFAR-10")
	}
	dc := DefaultConfig().Data
	dc.Dir = dir
	return dc
}

// TestReportCrossEntropyTable reproduces the report's cross-entropy table
// (40 epochs, batches of 100, course split): test accuracy within 1.0
// point of the report, 2.5 for the unstable η = 0.1.
func TestReportCrossEntropyTable(t *testing.T) {
	dc := realData(t)
	splits, err := LoadSplits(dc)
	if err != nil {
		t.Fatal(err)
	}
	d := Prepare[float64](splits)
	for _, c := range []struct {
		lambda, eta, want, tol float64
	}{
		{0, 0.1, 0.2870, 0.025},
		{0, 0.001, 0.3886, 0.010},
		{0.1, 0.001, 0.3901, 0.010},
		{1, 0.001, 0.3750, 0.010},
	} {
		t.Run(fmt.Sprintf("lambda=%g/eta=%g", c.lambda, c.eta), func(t *testing.T) {
			cfg := DefaultConfig()
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
		})
	}
}

// TestReportModel3Float32: the float32 graph lands where float64 does.
func TestReportModel3Float32(t *testing.T) {
	dc := realData(t)
	splits, err := LoadSplits(dc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Data, cfg.Dtype = dc, "float32"
	tr, err := Train(context.Background(), cfg, Prepare[float32](splits), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := tr.Result.Splits["test"].AccuracyTrained
	t.Logf("float32 Model 3: test accuracy %.2f%%", 100*got)
	if math.Abs(got-0.3901) > 0.01 {
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
			cfg := DefaultConfig()
			if err := LoadConfigFile(filepath.Join("..", "examples", r.example), &cfg); err != nil {
				t.Fatal(err)
			}
			cfg.Data = dc
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			var res *Result
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
		})
	}
}

// TestReportSVMTable reproduces the report's SVM table: within 1.0 point,
// 2.5 for the unstable η = 0.1.
func TestReportSVMTable(t *testing.T) {
	runExamples(t, []reportRun{
		{"svm-model1.yaml", 0.3004, 0.025},
		{"svm-model2.yaml", 0.3535, 0.010},
		{"svm-model3.yaml", 0.3578, 0.010},
		{"svm-model4.yaml", 0.3662, 0.010},
	})
}

// TestReportImprovements reproduces the report's improvement experiments
// within 1.0 point. The 500-epoch run takes long; it runs with GTRAIN_LONG=1.
func TestReportImprovements(t *testing.T) {
	runs := []reportRun{
		{"decay.yaml", 0.3933, 0.010},
		{"shuffle.yaml", 0.3923, 0.010},
		{"gaussian.yaml", 0.3846, 0.010},
		{"salt-pepper.yaml", 0.3851, 0.010},
		{"best-combination.yaml", 0.3989, 0.010},
	}
	if os.Getenv("GTRAIN_LONG") != "" {
		runs = append(runs, reportRun{"epochs500.yaml", 0.3955, 0.010})
	} else {
		t.Log("GTRAIN_LONG is unset: skipping the 500-epoch experiment")
	}
	runExamples(t, runs)
}

// TestBestLinear: the documented configuration of examples/best-linear.yaml
// (chosen on validation accuracy) reaches at least 41.5 % test accuracy.
func TestBestLinear(t *testing.T) {
	dc := realData(t)
	cfg := DefaultConfig()
	if err := LoadConfigFile(filepath.Join("..", "examples", "best-linear.yaml"), &cfg); err != nil {
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
