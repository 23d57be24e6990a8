package npzfile

import (
	"fmt"

	"github.com/gtrain/gtrain/data/npz"
	"github.com/gtrain/gtrain/graph"
)

// NewLinearGradFile is the gradient-check file of the linear model p on
// batch b, with gtrain's autodiff gradients as the file's gradients.
func NewLinearGradFile(p *graph.Params[float64], b graph.Batch[float64], loss graph.Loss, lambda float64, layout Layout) (*GradFile, error) {
	if layout != Course && layout != Rows {
		return nil, fmt.Errorf("layout %q: want %q or %q", layout, Course, Rows)
	}
	dW, dB, err := graph.AutodiffGrad(p, b, loss, lambda)
	if err != nil {
		return nil, err
	}
	f := &GradFile{Layout: layout, Loss: loss, Lambda: lambda, D: p.D, K: p.K, N: b.N(),
		X: append([]float64(nil), b.X...), Labels: make([]int, b.N())}
	for i, c := range b.Labels {
		f.Labels[i] = int(c)
	}
	specs := ParamSpecs(p.D, nil, p.K, false)
	f.Params = []Param{
		{ParamSpec: specs[0], Value: append([]float64(nil), p.W...), Grad: dW},
		{ParamSpec: specs[1], Value: append([]float64(nil), p.B...), Grad: dB},
	}
	return f, nil
}

// WriteGradFile writes f in its layout: in the course's, X as d×n, Y as
// K×n and the vectors as columns (b1 is K×1), as the course's code holds
// them; in rows, X as n×d, Y as n×K and the vectors 1-d. y (0-based) is
// written beside Y. hidden is left out for the linear model (npyio cannot
// write an empty array; absent means linear).
func WriteGradFile(path string, f *GradFile) error {
	w, err := npz.Create(path)
	if err != nil {
		return err
	}
	w.String(KeyLayout, string(f.Layout))
	w.String(KeyLoss, string(f.Loss))
	w.Scalar(KeyLambda, f.Lambda)
	if len(f.Hidden) > 0 {
		h := make([]int64, len(f.Hidden))
		for i, v := range f.Hidden {
			h[i] = int64(v)
		}
		w.Ints(KeyHidden, h)
	}
	if f.BatchNorm {
		w.Scalar(KeyBatchNorm, 1)
	}
	for _, p := range f.Params {
		shape := p.Shape
		if len(shape) == 1 && f.Layout == Course {
			shape = []int{shape[0], 1}
		}
		w.Floats(p.Name, shape, p.Value)
		w.Floats(GradPrefix+p.Name, shape, p.Grad)
	}
	onehot := make([]float64, f.N*f.K) // n×K
	for i, c := range f.Labels {
		onehot[i*f.K+c] = 1
	}
	if f.Layout == Course {
		w.Floats(KeyX, []int{f.D, f.N}, transpose(f.X, f.N, f.D))
		w.Floats(KeyOneHot, []int{f.K, f.N}, transpose(onehot, f.N, f.K))
	} else {
		w.Floats(KeyX, []int{f.N, f.D}, f.X)
		w.Floats(KeyOneHot, []int{f.N, f.K}, onehot)
	}
	labels := make([]int64, f.N)
	for i, c := range f.Labels {
		labels[i] = int64(c)
	}
	w.Ints(KeyLabels, labels)
	return w.Close()
}
