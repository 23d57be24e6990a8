package models

import (
	"context"
	"math"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// handPredict is Predict written out from its definition: x = (pixels/255 −
// mean)/std, s = Wx + b, the first arg max, and the softmax of s.
func handPredict(m *Model, pixels []uint8) (int, []float64) {
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

// TestPredictMatchesEvaluate: Model.Predict of an image's raw pixels is the
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
	m := NewModel(tr.Params, d.Classes, d.Normalizer)
	test := splits.Test

	predicted := make([]uint8, test.Len())
	agreeTrue := 0
	for i := range predicted {
		p, err := m.Predict(test.Image(i))
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
	if _, err := m.Predict(make([]uint8, data.ImageSize-1)); err == nil {
		t.Error("an image of the wrong size was classified")
	}
}
