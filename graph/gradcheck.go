package graph

import (
	"fmt"
	"math"
)

// GradCheckConfig describes one three-way gradient check.
type GradCheckConfig struct {
	Loss   Loss
	Lambda float64
	H      float64          // finite-difference step; 1e-6 when zero
	Method FiniteDifference // numerical formula
	// Floor is the smallest denominator of the relative error; 1e-12 (the
	// course's) when zero. Entries that are exactly zero in exact
	// arithmetic (an SVM bias gradient is a sum of ±1/N terms that can
	// cancel) come out as ±1e-17 residues whose relative error against an
	// exact 0 is residue/Floor; a floor such as 1e-9, far below the
	// smallest non-zero SVM entry 1/N, compares them absolutely.
	Floor float64
}

// GradComparison is the maximum relative error between two of the three
// gradients, for W and for b: max |a−b| / max(floor, |a|+|b|).
type GradComparison struct {
	A, B  string  // "autodiff", "analytic", "numerical"
	W, B_ float64 // B_ is the error of b (B names the second gradient)
}

// MaxError returns the larger of the W and b errors.
func (c GradComparison) MaxError() float64 { return math.Max(c.W, c.B_) }

// GradCheck computes the autodiff (Gorgonia), analytic and numerical
// gradients of the cost on one batch and compares each pair.
func GradCheck[T Float](p *Params[T], b Batch[T], cfg GradCheckConfig) ([]GradComparison, error) {
	if err := b.check(p); err != nil {
		return nil, err
	}
	h := cfg.H
	if h == 0 {
		h = 1e-6
	}
	if h < 0 || math.IsNaN(h) {
		return nil, fmt.Errorf("graph: finite-difference step %g must be positive", h)
	}
	floor := cfg.Floor
	if floor == 0 {
		floor = 1e-12
	}
	if floor < 0 || math.IsNaN(floor) {
		return nil, fmt.Errorf("graph: relative-error floor %g must be positive", floor)
	}
	k, d := p.K, p.D

	autoW, autoB, err := AutodiffGrad(p, b, cfg.Loss, cfg.Lambda)
	if err != nil {
		return nil, err
	}

	anW, anB := make([]T, k*d), make([]T, k)
	if _, err := AnalyticGrad(anW, anB, p, b, cfg.Loss, cfg.Lambda); err != nil {
		return nil, err
	}
	numW, numB := make([]float64, k*d), make([]float64, k)
	if err := NumericalGrad(numW, numB, p, b, cfg.Loss, cfg.Lambda, h, cfg.Method); err != nil {
		return nil, err
	}
	grads := []struct {
		name string
		w, b []float64
	}{
		{"autodiff", autoW, autoB},
		{"analytic", toF64(anW), toF64(anB)},
		{"numerical", numW, numB},
	}
	var out []GradComparison
	for i := range grads {
		for j := i + 1; j < len(grads); j++ {
			out = append(out, GradComparison{
				A: grads[i].name, B: grads[j].name,
				W: MaxRelativeError(grads[i].w, grads[j].w, floor), B_: MaxRelativeError(grads[i].b, grads[j].b, floor),
			})
		}
	}
	return out, nil
}

// AutodiffGrad returns Gorgonia's ∂cost/∂W (K×d) and ∂cost/∂b (K) on one
// batch, from the plain (not Lean) graph that training's gradients are
// checked on.
func AutodiffGrad[T Float](p *Params[T], b Batch[T], loss Loss, lambda float64) (dW, dB []float64, err error) {
	if err := b.check(p); err != nil {
		return nil, nil, err
	}
	net, err := NewNet(NetConfig{Loss: loss, Rows: b.N(), Grad: true}, p)
	if err != nil {
		return nil, nil, err
	}
	defer net.Close()
	if err := net.Run(b.X, oneHotOf[T](b.Labels, p.K), lambda); err != nil {
		return nil, nil, err
	}
	return toF64(net.GradW()), toF64(net.GradB()), nil
}

// MaxRelativeError returns max_i |a_i−b_i| / max(floor, |a_i|+|b_i|), the
// course's measure with floor 1e-12. NaN anywhere makes it NaN, so a broken gradient can
// never pass a tolerance test.
func MaxRelativeError(a, b []float64, floor float64) float64 {
	var m float64
	for i := range a {
		den := math.Max(floor, math.Abs(a[i])+math.Abs(b[i]))
		r := math.Abs(a[i]-b[i]) / den
		if math.IsNaN(r) {
			return math.NaN()
		}
		m = math.Max(m, r)
	}
	return m
}

// OneHot writes the one-hot encoding of labels (len(labels)×k) into dst.
func OneHot[T Float](dst []T, labels []uint8, k int) {
	clear(dst)
	for i, c := range labels {
		dst[i*k+int(c)] = 1
	}
}

func oneHotOf[T Float](labels []uint8, k int) []T {
	y := make([]T, len(labels)*k)
	OneHot(y, labels, k)
	return y
}
