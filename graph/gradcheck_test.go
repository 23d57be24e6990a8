package graph

import (
	"fmt"
	"math"
	"testing"
)

// TestGradCheckThreeWay: autodiff = analytic = numerical on random problems,
// both losses, λ = 0 and λ > 0, in float64 at the course's 1e-6. The SVM is
// compared with a floor of 1e-9 (see GradCheckConfig.Floor): its bias
// gradient has entries that cancel to exactly 0 and come out of autodiff as
// 1e-17 residues; every non-zero entry is a multiple of 1/N.
func TestGradCheckThreeWay(t *testing.T) {
	for _, loss := range []Loss{CrossEntropy, SVM} {
		for _, lambda := range []float64{0, 0.1} {
			for _, n := range []int{1, 20} {
				cfg := GradCheckConfig{Loss: loss, Lambda: lambda}
				if loss == SVM {
					cfg.Floor = 1e-9
				}
				t.Run(fmt.Sprintf("%s/lambda=%g/n=%d", loss, lambda, n), func(t *testing.T) {
					p, b, _ := randomProblem[float64](uint64(n)+7, 10, 20, n)
					rows, err := GradCheck(p, b, cfg)
					if err != nil {
						t.Fatal(err)
					}
					if len(rows) != 3 {
						t.Fatalf("%d comparisons, want 3", len(rows))
					}
					for _, r := range rows {
						if !(r.MaxError() <= 1e-6) {
							t.Errorf("%s vs %s: W %.3g b %.3g > 1e-6", r.A, r.B, r.W, r.B_)
						}
					}
				})
			}
		}
	}
}

// TestGradCheckDetectsWrongGradient: a check that cannot fail is no check.
// A wrong λ on one side must show as a large error.
func TestGradCheckDetectsWrongGradient(t *testing.T) {
	p, b, _ := randomProblem[float64](5, 10, 20, 10)
	numW, numB := make([]float64, 200), make([]float64, 10)
	if err := NumericalGrad(numW, numB, p, b, CrossEntropy, 0.5, 1e-6, Central); err != nil {
		t.Fatal(err)
	}
	anW, anB := make([]float64, 200), make([]float64, 10)
	if _, err := AnalyticGrad(anW, anB, p, b, CrossEntropy, 0); err != nil {
		t.Fatal(err)
	}
	if e := MaxRelativeError(anW, numW, 1e-12); e < 1e-3 {
		t.Errorf("gradients of different costs agree to %.3g", e)
	}
}

func TestNumericalForwardCoarser(t *testing.T) {
	p, b, _ := randomProblem[float64](9, 10, 20, 10)
	anW, anB := make([]float64, 200), make([]float64, 10)
	if _, err := AnalyticGrad(anW, anB, p, b, CrossEntropy, 0.1); err != nil {
		t.Fatal(err)
	}
	errOf := func(f FiniteDifference) float64 {
		w, bb := make([]float64, 200), make([]float64, 10)
		if err := NumericalGrad(w, bb, p, b, CrossEntropy, 0.1, 1e-6, f); err != nil {
			t.Fatal(err)
		}
		return MaxRelativeError(anW, w, 1e-12)
	}
	c, f := errOf(Central), errOf(Forward)
	if !(c < 1e-6) || !(f < 1e-3) {
		t.Errorf("central %.3g (want < 1e-6), forward %.3g (want < 1e-3)", c, f)
	}
}

func TestMaxRelativeError(t *testing.T) {
	for _, c := range []struct {
		a, b []float64
		want float64
	}{
		{[]float64{1, 2}, []float64{1, 2}, 0},
		{[]float64{1}, []float64{3}, 0.5},
		{[]float64{0}, []float64{0}, 0},
		{[]float64{0}, []float64{1e-13}, 0.1}, // floor 1e-12
	} {
		if got := MaxRelativeError(c.a, c.b, 1e-12); got != c.want {
			t.Errorf("MaxRelativeError(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// AutodiffGrad is the analytic gradient to rounding (cross-entropy within
// 1e-10; the SVM within 1e-6 at a floor of 1e-9, for its 1e-17 residues
// where b's gradient cancels to 0), with and without λ; a batch that does
// not fit the parameters is an error.
func TestAutodiffGrad(t *testing.T) {
	for _, loss := range []Loss{CrossEntropy, SVM} {
		for _, lambda := range []float64{0, 0.3} {
			p, b, _ := randomProblem[float64](3, 6, 8, 12)
			dW, dB, err := AutodiffGrad(p, b, loss, lambda)
			if err != nil {
				t.Fatal(err)
			}
			anW, anB := make([]float64, 48), make([]float64, 6)
			if _, err := AnalyticGrad(anW, anB, p, b, loss, lambda); err != nil {
				t.Fatal(err)
			}
			tol := 1e-10
			if loss == SVM {
				tol = 1e-6
			}
			if e := math.Max(MaxRelativeError(dW, anW, 1e-9), MaxRelativeError(dB, anB, 1e-9)); !(e <= tol) {
				t.Errorf("%s λ=%g: autodiff vs analytic %.3g > %g", loss, lambda, e, tol)
			}
		}
	}
	p, b, _ := randomProblem[float64](3, 6, 8, 12)
	b.X = b.X[:10]
	if _, _, err := AutodiffGrad(p, b, CrossEntropy, 0); err == nil {
		t.Error("a batch of the wrong width gave no error")
	}
}
