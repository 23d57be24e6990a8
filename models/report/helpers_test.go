package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// testClasses are the CIFAR-10 class names.
var testClasses = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// testEpochs returns n epochs of plausible, decreasing costs and rising
// accuracies.
func testEpochs(n int) []runfiles.EpochMetrics {
	ep := make([]runfiles.EpochMetrics, n)
	for i := range ep {
		e := float64(i + 1)
		ep[i] = runfiles.EpochMetrics{Epoch: i + 1, Eta: 0.001,
			TrainLoss: 1.6 + 0.6/e, TrainCost: 1.9 + 0.6/e, TrainAcc: 0.45 - 0.1/e,
			ValLoss: 1.8 + 0.4/e, ValCost: 2.1 + 0.4/e, ValAcc: 0.38 - 0.08/e, Seconds: 0.5}
	}
	return ep
}

// writeTestRun writes a complete run directory into dir: config.json,
// metrics.csv and result.json with the given test accuracy, and
// model.json with random weights drawn from seed.
func writeTestRun(t *testing.T, dir string, cfg config.Config, testAcc float64, seed uint64) {
	t.Helper()
	if err := runfiles.WriteConfig(dir, &cfg); err != nil {
		t.Fatal(err)
	}
	res := &runfiles.Result{Splits: map[string]runfiles.SplitResult{
		"train": {Size: 100, AccuracyUntrained: 0.1, AccuracyTrained: 0.45, CostUntrained: 2.4, CostTrained: 1.9, LossUntrained: 2.3, LossTrained: 1.6},
		"val":   {Size: 100, AccuracyUntrained: 0.1, AccuracyTrained: 0.38, CostUntrained: 2.4, CostTrained: 2.1, LossUntrained: 2.3, LossTrained: 1.8},
		"test":  {Size: 100, AccuracyUntrained: 0.1, AccuracyTrained: testAcc, CostUntrained: 2.4, CostTrained: 2.1, LossUntrained: 2.3, LossTrained: 1.8},
	}, Device: "cpu", Dtype: "float64", ConfigHash: cfg.Hash(), Epochs: testEpochs(cfg.Epochs)}
	if err := runfiles.WriteResult(dir, res); err != nil {
		t.Fatal(err)
	}
	if err := runfiles.WriteModel(dir, testModel(seed)); err != nil {
		t.Fatal(err)
	}
}

// testModel returns a model of ten classes with N(0, 0.01²) weights.
func testModel(seed uint64) *runfiles.Model {
	rng := rand.New(rand.NewPCG(seed, 7))
	p := graph.NewParams[float64](10, ImageDim)
	for i := range p.W {
		p.W[i] = 0.01 * rng.NormFloat64()
	}
	nz := &data.Normalizer{Mean: make([]float64, ImageDim), Std: make([]float64, ImageDim)}
	for i := range nz.Std {
		nz.Std[i] = 1
	}
	return runfiles.NewModel(graph.AsNet(p), testClasses, nz)
}

// minMax255 is the course's montage scaling, computed independently of
// the code under test: round(255·(v−min)/(max−min)).
func minMax255(row []float64, v float64) uint8 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range row {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return uint8(math.Round(255 * (v - lo) / (hi - lo)))
}

func cfgWith(loss string, lambda, eta float64, epochs, batch int) config.Config {
	c := config.DefaultConfig()
	c.Loss, c.Lambda, c.Eta, c.Epochs, c.Batch = loss, lambda, eta, epochs, batch
	return c
}

func name(format string, a ...any) string { return fmt.Sprintf(format, a...) }
