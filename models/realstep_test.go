package models

import (
	"math/rand/v2"
	"testing"

	"github.com/gtrain/gtrain/data/datatest"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
)

// TestRealDataSteps: the first steps of the CPU engine on real CIFAR-10
// batches (Model 3's batches of 100, λ = 0.1, η = 0.01) are W − η∇W,
// b − η∇b with AnalyticGrad (∇W including 2λW) at the parameters before
// each step, in both dtypes and for both losses. The tolerances are a few
// times the largest differences measured (float64 2e-17, float32 9e-9);
// a missing 2λW moves W by 2ηλ|W|, up to 8e-5 here. It is cheap (a second
// on top of reading the data), so -short runs it too: CI's short run of the
// OpenBLAS build then checks that build's steps as well.
func TestRealDataSteps(t *testing.T) {
	dir := datatest.CIFAR10Dir(t)
	dc := config.DefaultConfig().Data
	dc.Dir = dir
	splits, err := LoadSplits(dc)
	if err != nil {
		t.Fatal(err)
	}
	// The first 500 training images, normalized as training does (with the
	// statistics of the whole training split).
	nz := data.FitNormalizer(splits.Train)
	first := splits.Train.Slice(0, 500)
	s := &data.Splits{Train: first, Val: first, Test: first}
	t.Run("float64", func(t *testing.T) { checkRealSteps(t, PrepareWith[float64](s, nz), 1e-15) })
	t.Run("float32", func(t *testing.T) { checkRealSteps(t, PrepareWith[float32](s, nz), 5e-8) })
}

func checkRealSteps[T graph.Float](t *testing.T, d *Prepared[T], tol float64) {
	const steps, batch, lambda, eta = 5, 100, 0.1, 0.01
	for _, loss := range []string{"cross", "svm"} {
		p := graph.NewParams[T](data.NumClasses, data.ImageSize)
		p.InitGaussian(rand.New(rand.NewPCG(0, config.StreamInit)), config.DefaultConfig().InitStd)
		eng, err := engine.New(p, engine.Spec{Device: "cpu", Loss: graph.Loss(loss), Lambda: lambda, Batch: batch}, engine.Splits[T]{d.Train})
		if err != nil {
			t.Fatal(err)
		}
		var worst float64
		for s := 0; s < steps; s++ {
			before, err := eng.Params()
			if err != nil {
				t.Fatal(err)
			}
			before = before.Clone()
			b := d.Train.Rows(s*batch, (s+1)*batch)
			if _, err := eng.Step(engine.Batch[T]{Split: d.Train.Name, Start: s * batch}, eta); err != nil {
				t.Fatal(err)
			}
			after, err := eng.Params()
			if err != nil {
				t.Fatal(err)
			}
			e := stepError(t, before, after, graph.Batch[T]{X: b.X, Labels: b.Labels}, loss, lambda, eta)
			if e > tol {
				t.Errorf("%s, step %d: parameters differ from the analytic step by %.3g > %.0e", loss, s+1, e, tol)
			}
			worst = max(worst, e)
		}
		t.Logf("%s: largest difference from the analytic steps %.3g (tolerance %.0e)", loss, worst, tol)
		if err := eng.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
