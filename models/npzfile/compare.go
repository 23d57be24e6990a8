package npzfile

import (
	"fmt"
	"strings"

	"github.com/gtrain/gtrain/graph"
)

// ParamCheck is one parameter's comparison: the maximum relative error
// |a−b| / max(floor, |a|+|b|) of the file's gradient against gtrain's
// autodiff and numerical gradients, and of those two against each other
// (gtrain's own agreement, the check's yardstick).
type ParamCheck struct {
	Name                string
	Shape               []int
	UserVsAutodiff      float64
	UserVsNumerical     float64
	AutodiffVsNumerical float64
	// Worst is the flat index of the entry where the file's gradient is
	// furthest from autodiff's, with both values there.
	Worst              int
	User, Autodiff     float64
	WorstRelativeError float64
}

// Compare computes gtrain's gradients on the file's parameters and batch
// (autodiff by Gorgonia, numerical by finite differences, both in
// float64) and compares the file's gradient of every parameter with them.
// cfg's Loss and Lambda are ignored: the file's are used.
func Compare(f *GradFile, cfg graph.GradCheckConfig) ([]ParamCheck, error) {
	gtrain, err := gtrainGrads(f, cfg)
	if err != nil {
		return nil, err
	}
	floor := cfg.Floor
	if floor == 0 {
		floor = 1e-12
	}
	var out []ParamCheck
	for _, p := range f.Params {
		g, ok := gtrain[p.Name]
		if !ok {
			return nil, fmt.Errorf("%s: gtrain computes no gradient of %s", f.Path, p.Name)
		}
		fl := floor
		if g.floor != 0 {
			fl = g.floor
		}
		c := ParamCheck{Name: p.Name, Shape: p.Shape,
			UserVsAutodiff:      graph.MaxRelativeError(p.Grad, g.auto, fl),
			UserVsNumerical:     graph.MaxRelativeError(p.Grad, g.num, fl),
			AutodiffVsNumerical: graph.MaxRelativeError(g.auto, g.num, fl)}
		c.WorstRelativeError = -1
		for i := range p.Grad {
			e := graph.MaxRelativeError(p.Grad[i:i+1], g.auto[i:i+1], fl)
			if e > c.WorstRelativeError {
				c.Worst, c.User, c.Autodiff, c.WorstRelativeError = i, p.Grad[i], g.auto[i], e
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// gradPair is gtrain's two gradients of one parameter; floor, when not 0,
// is the floor of its comparisons (a gradient that is exactly 0).
type gradPair struct {
	auto, num []float64
	floor     float64
}

// gtrainGrads returns gtrain's autodiff and numerical gradients by
// parameter name.
func gtrainGrads(f *GradFile, cfg graph.GradCheckConfig) (map[string]gradPair, error) {
	if f.K > 256 {
		return nil, fmt.Errorf("%s: K = %d classes; gtrain's labels hold at most 256", f.Path, f.K)
	}
	if len(f.Hidden) > 0 {
		return networkGrads(f, cfg)
	}
	h := cfg.H
	if h == 0 {
		h = 1e-6
	}
	w1, b1 := f.Param("W1"), f.Param("b1")
	p := &graph.Params[float64]{K: f.K, D: f.D, W: w1.Value, B: b1.Value}
	b := graph.Batch[float64]{X: f.X, Labels: make([]uint8, f.N)}
	for i, c := range f.Labels {
		b.Labels[i] = uint8(c)
	}
	autoW, autoB, err := graph.AutodiffGrad(p, b, f.Loss, f.Lambda)
	if err != nil {
		return nil, err
	}
	numW, numB := make([]float64, f.K*f.D), make([]float64, f.K)
	if err := graph.NumericalGrad(numW, numB, p, b, f.Loss, f.Lambda, h, cfg.Method); err != nil {
		return nil, err
	}
	return map[string]gradPair{"W1": {auto: autoW, num: numW}, "b1": {auto: autoB, num: numB}}, nil
}

// Verdict returns nil when every file gradient is within tol of
// gtrain's autodiff gradient, else one line naming each that is not.
// Autodiff is the reference because it is exact to rounding (a correct
// gradient agrees to about 1e-13); the finite difference with h = 1e-6
// resolves only about 1e-10 absolute (eps·cost/h), so an entry below
// about 1e-3 can differ from it by more than 1e-6 relative whatever the
// code that computed it: the numerical columns are the course's check,
// shown beside, and AutodiffVsNumerical is their yardstick.
func Verdict(checks []ParamCheck, tol float64) error {
	var bad []string
	for _, c := range checks {
		if !(c.UserVsAutodiff <= tol) {
			bad = append(bad, fmt.Sprintf("%s%s differs from autodiff by %.3g (from numerical by %.3g)", GradPrefix, c.Name, c.UserVsAutodiff, c.UserVsNumerical))
		}
	}
	if bad == nil {
		return nil
	}
	return fmt.Errorf("gradient check failed: %s, above --tol %g", strings.Join(bad, "; "), tol)
}

// Index is a flat C-order index as (i, j) for a matrix, (i) for a vector.
func Index(shape []int, flat int) string {
	if len(shape) == 2 {
		return fmt.Sprintf("[%d, %d]", flat/shape[1], flat%shape[1])
	}
	return fmt.Sprintf("[%d]", flat)
}

// networkGrads is gtrainGrads for a net with hidden layers: the file's
// tensors set into gtrain's network (graph.MLP) of the same architecture,
// its autodiff and numerical gradients (batch normalization from the
// batch, as in training). A batch-normalized layer's bias, which the
// file may hold as the course writes it, is cancelled by the mean
// subtraction: its gradient is exactly 0 (gtrain's layer has none), and
// the file's is compared with 0 absolutely below 1e-8.
func networkGrads(f *GradFile, cfg graph.GradCheckConfig) (map[string]gradPair, error) {
	arch := graph.Arch{In: f.D, Out: f.K, Hidden: f.Hidden, BatchNorm: f.BatchNorm}
	p, err := graph.NewMLPParams[float64](arch)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	out := map[string]gradPair{}
	for _, fp := range f.Params {
		t := p.Lookup(fp.Name)
		if t == nil {
			zero := make([]float64, len(fp.Value))
			out[fp.Name] = gradPair{auto: zero, num: zero, floor: 1e-8}
			continue
		}
		copy(t.Data, fp.Value)
	}
	b := graph.Batch[float64]{X: f.X, Labels: make([]uint8, f.N)}
	for i, c := range f.Labels {
		b.Labels[i] = uint8(c)
	}
	cfg.Loss, cfg.Lambda = f.Loss, f.Lambda
	gs, err := graph.MLPGradients(p, b, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	for i, name := range gs.Names {
		out[name] = gradPair{auto: gs.Autodiff[i], num: gs.Numerical[i]}
	}
	return out, nil
}
