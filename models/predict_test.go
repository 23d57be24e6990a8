package models

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

// handPredict is Predict written out from its definition: x = (pixels/255 −
// mean)/std, s = Wx + b, the first arg max, and the softmax of s.
func handPredict(m *runfiles.Model, pixels []uint8) (int, []float64) {
	s := make([]float64, m.K)
	best := 0
	for k := range s {
		s[k] = m.B[k]
		for j, p := range pixels {
			s[k] += m.W[k*m.D+j] * ((float64(p)/255 - m.Mean[j]) / m.Std[j])
		}
		if s[k] > s[best] {
			best = k
		}
	}
	var z float64
	probs := make([]float64, m.K)
	for k := range s {
		probs[k] = math.Exp(s[k] - s[best])
		z += probs[k]
	}
	for k := range probs {
		probs[k] /= z
	}
	return best, probs
}

// TestPredictMatchesEvaluate: Predict of an image's raw pixels is the
// class whose arg max Evaluate counts on the normalized split, and its
// probabilities are the softmax of the normalized scores (within 1e-12).
// The synthetic pixels have a mean near 0.4 and a deviation near 0.2, so a
// Predict that skipped the normalization would disagree in both.
func TestPredictMatchesEvaluate(t *testing.T) {
	splits := synthetic(31, 200)
	d := Prepare[float64](splits)
	cfg := smallConfig()
	cfg.Epochs = 5
	tr := mustTrain(t, cfg, d)
	m := runfiles.NewModel(tr.Params, d.Classes, d.Normalizer)
	test := splits.Test

	predicted := make([]uint8, test.Len())
	agreeTrue := 0
	for i := range predicted {
		p, err := Predict(m, test.Image(i))
		if err != nil {
			t.Fatal(err)
		}
		wantClass, wantProbs := handPredict(m, test.Image(i))
		if p.Class != wantClass {
			t.Fatalf("image %d: class %d, by hand %d", i, p.Class, wantClass)
		}
		var sum float64
		for k, v := range p.Probs {
			sum += v
			if math.Abs(v-wantProbs[k]) > 1e-12 {
				t.Fatalf("image %d: p(%d) = %.15g, by hand %.15g", i, k, v, wantProbs[k])
			}
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("image %d: probabilities sum to %.15g", i, sum)
		}
		predicted[i] = uint8(p.Class)
		if predicted[i] == test.Labels[i] {
			agreeTrue++
		}
	}
	spec := engine.Spec{Device: "cpu", Loss: graph.Loss(cfg.Loss), Lambda: cfg.Lambda}
	evals, err := EvaluateModel(context.Background(), m, PrepareWith[float64](splits, m.Normalizer()), spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := evals["test"].Correct; got != agreeTrue {
		t.Errorf("Evaluate counts %d correct, Predict agrees with %d labels", got, agreeTrue)
	}
	if got := tr.Result.Splits["test"].AccuracyTrained; got != float64(agreeTrue)/float64(test.Len()) {
		t.Errorf("the trainer's test accuracy %v, Predict's %v", got, float64(agreeTrue)/float64(test.Len()))
	}
	// Relabelled with Predict's classes, the split is all correct for
	// Evaluate: the two arg maxes agree image by image.
	relabelled := *splits
	ds := *test
	ds.Labels = predicted
	relabelled.Test = &ds
	evals, err = EvaluateModel(context.Background(), m, PrepareWith[float64](&relabelled, m.Normalizer()), spec)
	if err != nil {
		t.Fatal(err)
	}
	if ev := evals["test"]; ev.Correct != ev.N {
		t.Errorf("Evaluate agrees with Predict on %d of %d images", ev.Correct, ev.N)
	}
	if agreeTrue < test.Len()/2 || agreeTrue == test.Len() {
		t.Errorf("Predict right on %d of %d: the fixture should learn, not be perfect", agreeTrue, test.Len())
	}
	if _, err := Predict(m, make([]uint8, data.ImageSize-1)); err == nil {
		t.Error("an image of the wrong size was classified")
	}
}

// validModel returns a model of the data's shape with small random
// weights and a plausible normalization.
func validModel() *runfiles.Model {
	rng := rand.New(rand.NewPCG(3, 4))
	p := graph.NewParams[float64](data.NumClasses, data.ImageSize)
	for i := range p.W {
		p.W[i] = 0.01 * rng.NormFloat64()
	}
	nz := &data.Normalizer{Mean: make([]float64, data.ImageSize), Std: make([]float64, data.ImageSize)}
	for i := range nz.Mean {
		nz.Mean[i], nz.Std[i] = 0.4+0.1*rng.Float64(), 0.2+0.1*rng.Float64()
	}
	return runfiles.NewModel(graph.AsNet(p), data.DefaultClasses(), nz)
}

// TestPredictBadShape: a model built in code of the wrong shape is an
// error from Predict, not a panic in the normalization.
func TestPredictBadShape(t *testing.T) {
	m := validModel()
	m.D, m.W, m.Mean, m.Std = 100, m.W[:10*100], m.Mean[:100], m.Std[:100]
	for _, n := range []int{100, data.ImageSize} {
		if _, err := Predict(m, make([]uint8, n)); err == nil || !strings.Contains(err.Error(), "d = 100") {
			t.Errorf("image of %d values: error %v", n, err)
		}
	}
}

// TestEvaluateModel: evaluation stops with the context's cause when it is
// cancelled, and refuses a model whose classes are not the data's.
func TestEvaluateModel(t *testing.T) {
	spec := engine.Spec{Device: "cpu", Loss: graph.CrossEntropy}
	m := validModel()
	d := PrepareWith[float64](randomSplits(6), m.Normalizer())
	evals, err := EvaluateModel(context.Background(), m, d, spec)
	if err != nil || len(evals) != 3 || evals["test"].N != 6 || math.IsNaN(evals["test"].Cost) {
		t.Fatalf("evaluation: %+v, %v", evals, err)
	}
	stop := errors.New("stopped by the test")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(stop)
	if evals, err := EvaluateModel(ctx, m, d, spec); !errors.Is(err, stop) || evals != nil {
		t.Errorf("cancelled: %v, %v; want the cause", evals, err)
	}
	three := validModel()
	three.K, three.Classes, three.W, three.B = 3, three.Classes[:3], three.W[:3*data.ImageSize], three.B[:3]
	if err := three.Validate(); err != nil {
		t.Fatal(err) // a valid model, for predict; not for CIFAR-10's labels
	}
	if _, err := EvaluateModel(context.Background(), three, d, spec); err == nil || !strings.Contains(err.Error(), "model of 3 classes; the data has 10") {
		t.Errorf("three classes: %v", err)
	}
}
