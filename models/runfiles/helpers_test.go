package runfiles

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
)

// Config.Validate (Checkpoint.Check) asks the registry whether the device
// exists; these tests build no engine, so cpu is registered without
// factories.
func TestMain(m *testing.M) {
	engine.Register("cpu", engine.Factory{})
	os.Exit(m.Run())
}

func smallConfig() config.Config {
	c := config.DefaultConfig()
	c.Epochs, c.Batch, c.Eta = 3, 20, 0.01
	return c
}

// randomSplits returns n uniform random images with random labels per split.
func randomSplits(n int) *data.Splits {
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func(name string) *data.Dataset {
		ds := &data.Dataset{Name: name, Pixels: make([]uint8, n*data.ImageSize), Labels: make([]uint8, n), Classes: data.DefaultClasses()}
		for i := range ds.Pixels {
			ds.Pixels[i] = uint8(rng.Uint32())
		}
		for i := range ds.Labels {
			ds.Labels[i] = uint8(rng.IntN(data.NumClasses))
		}
		return ds
	}
	return &data.Splits{Train: mk("train"), Val: mk("val"), Test: mk("test")}
}

// float32Params returns m's parameters rounded to float32, as a float32
// run holds them.
func float32Params(m *Model) *graph.Params[float32] {
	p := graph.NewParams[float32](m.K, m.D)
	for i, v := range m.W {
		p.W[i] = float32(v)
	}
	for i, v := range m.B {
		p.B[i] = float32(v)
	}
	return p
}

// testEpochs returns n epochs of plausible, decreasing costs.
func testEpochs(n int) []EpochMetrics {
	ep := make([]EpochMetrics, n)
	for i := range ep {
		e := float64(i + 1)
		ep[i] = EpochMetrics{Epoch: i + 1, Eta: 0.001,
			TrainLoss: 1.6 + 0.6/e, TrainCost: 1.9 + 0.6/e, TrainAcc: 0.45 - 0.1/e,
			ValLoss: 1.8 + 0.4/e, ValCost: 2.1 + 0.4/e, ValAcc: 0.38 - 0.08/e, Seconds: 0.5}
	}
	return ep
}
