package graph

import (
	"fmt"
	"math"
)

// TensorComparison is the largest relative error of one trained tensor's
// gradient between each pair of the three computations.
type TensorComparison struct {
	Name                                       string
	AutoAnalytic, AutoNumeric, AnalyticNumeric float64
}

// Max returns the largest of the three errors.
func (c TensorComparison) Max() float64 {
	return math.Max(c.AutoAnalytic, math.Max(c.AutoNumeric, c.AnalyticNumeric))
}

// Gradients are a network's three gradients of the cost on one batch,
// parallel to p.Trained(): Gorgonia's autodiff, the hand-derived one and
// the numerical one, in float64.
type Gradients struct {
	Names                         []string
	Autodiff, Analytic, Numerical [][]float64
}

// MLPGradients computes the three gradients of p's cost on the batch
// (training-mode batch normalization). cfg's Floor is not used.
func MLPGradients[T Float](p *MLPParams[T], b Batch[T], cfg GradCheckConfig) (*Gradients, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if err := b.checkArch(p.Arch); err != nil {
		return nil, err
	}
	h := cfg.H
	if h == 0 {
		h = 1e-6
	}
	if !(h > 0) {
		return nil, fmt.Errorf("graph: finite-difference step %g must be positive", h)
	}
	net, err := NewMLP(MLPConfig{Loss: cfg.Loss, Rows: b.N(), Grad: true, Train: true}, p)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	if err := net.Run(b.X, oneHotOf[T](b.Labels, p.Arch.Out), cfg.Lambda); err != nil {
		return nil, err
	}
	gs := &Gradients{}
	for i, t := range p.Trained() {
		gs.Names = append(gs.Names, t.Name)
		gs.Autodiff = append(gs.Autodiff, toF64(net.Grad(i)))
		gs.Analytic = append(gs.Analytic, make([]float64, len(t.Data)))
		gs.Numerical = append(gs.Numerical, make([]float64, len(t.Data)))
	}
	if _, err := MLPAnalyticGrad(gs.Analytic, p, b, cfg.Loss, cfg.Lambda); err != nil {
		return nil, err
	}
	if err := MLPNumericalGrad(gs.Numerical, p, b, cfg.Loss, cfg.Lambda, h, cfg.Method); err != nil {
		return nil, err
	}
	return gs, nil
}

// Compare returns each tensor's three pairwise errors, max |a−b| /
// max(floor, |a|+|b|); floor 1e-12 when zero.
func (gs *Gradients) Compare(floor float64) []TensorComparison {
	if floor == 0 {
		floor = 1e-12
	}
	out := make([]TensorComparison, len(gs.Names))
	for i, name := range gs.Names {
		out[i] = TensorComparison{
			Name:            name,
			AutoAnalytic:    MaxRelativeError(gs.Autodiff[i], gs.Analytic[i], floor),
			AutoNumeric:     MaxRelativeError(gs.Autodiff[i], gs.Numerical[i], floor),
			AnalyticNumeric: MaxRelativeError(gs.Analytic[i], gs.Numerical[i], floor),
		}
	}
	return out
}
