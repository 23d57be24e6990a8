// Package npzfile holds gtrain's NumPy exchange files (docs/npz.md): the
// gradient-check file, with a net's parameters, a mini-batch, λ, the loss,
// the architecture and someone's gradients, checked against gtrain's
// autodiff and numerical ones (ReadGradFile, Compare, WriteGradFile); and
// a trained model exported from model.json (WriteModel). The arrays go
// through data/npz; the names, shapes and layouts are defined here.
package npzfile

import (
	"fmt"
	"slices"

	"github.com/gtrain/gtrain/data/npz"
	"github.com/gtrain/gtrain/graph"
)

// Layout says how the file holds the batch: W is K×d in both.
type Layout string

const (
	// Course is DD2424's: X is d×n (a column per image), Y is K×n.
	Course Layout = "course"
	// Rows is NumPy's usual: X is n×d (a row per image), Y is n×K.
	Rows Layout = "rows"
)

// The names of the file's arrays besides the parameters and their
// gradients (GradPrefix + the parameter's name).
const (
	KeyLayout    = "layout"
	KeyX         = "X"
	KeyLabels    = "y" // n class indices, 0-based
	KeyOneHot    = "Y" // one-hot labels, K×n (course) or n×K (rows)
	KeyLambda    = "lambda"
	KeyLoss      = "loss"
	KeyHidden    = "hidden"     // widths of the hidden layers; absent or empty: linear
	KeyBatchNorm = "batch_norm" // 1: layers 1..k-1 are batch-normalized (gamma, beta)
	GradPrefix   = "grad_"
)

// ParamSpec is one parameter of a net: its name in the file, its shape
// (W: out×in, vectors: their length) and what it is.
type ParamSpec struct {
	Name  string
	Shape []int
	What  string
}

// ParamSpecs lists the parameters of a net with input width d, the given
// hidden widths and k classes, in the file's order: layer l has W<l>
// (its width × the previous one's), b<l>, and with batch norm, for every
// layer but the last, gamma<l> and beta<l>. The linear model is W1, b1.
func ParamSpecs(d int, hidden []int, k int, batchNorm bool) []ParamSpec {
	dims := append(append([]int{d}, hidden...), k)
	layers := len(dims) - 1
	var specs []ParamSpec
	for l := 1; l <= layers; l++ {
		out, in := dims[l], dims[l-1]
		outName, inName := widthName(l, layers), widthName(l-1, layers)
		specs = append(specs,
			ParamSpec{fmt.Sprintf("W%d", l), []int{out, in}, fmt.Sprintf("layer %d's weights, %s×%s", l, outName, inName)},
			ParamSpec{fmt.Sprintf("b%d", l), []int{out}, fmt.Sprintf("layer %d's bias, %s", l, outName)})
		if batchNorm && l < layers {
			specs = append(specs,
				ParamSpec{fmt.Sprintf("gamma%d", l), []int{out}, fmt.Sprintf("layer %d's batch-norm scale, %s", l, outName)},
				ParamSpec{fmt.Sprintf("beta%d", l), []int{out}, fmt.Sprintf("layer %d's batch-norm shift, %s", l, outName)})
		}
	}
	return specs
}

// widthName names the width of layer l's output: d, K or m<l>.
func widthName(l, layers int) string {
	switch l {
	case 0:
		return "d"
	case layers:
		return "K"
	}
	return fmt.Sprintf("m%d", l)
}

// Param is one parameter with its values and the file's gradient, both
// in C order of Spec.Shape.
type Param struct {
	ParamSpec
	Value, Grad []float64
}

// GradFile is a gradient-check file as read, the batch in rows whatever
// the file's layout.
type GradFile struct {
	Path      string
	Layout    Layout
	Loss      graph.Loss
	Lambda    float64
	Hidden    []int
	BatchNorm bool
	D, K, N   int
	X         []float64 // N×D, row-major
	Labels    []int     // N class indices, 0-based
	Params    []Param   // ParamSpecs's order
}

// Param returns the parameter called name, or nil.
func (f *GradFile) Param(name string) *Param {
	for i := range f.Params {
		if f.Params[i].Name == name {
			return &f.Params[i]
		}
	}
	return nil
}

// ReadGradFile reads and validates a gradient-check file. An error is one
// line naming the file and the array: missing, mis-shaped (which shape it
// has, which it should have), of the wrong kind or with a bad value, or
// an array the format does not have.
func ReadGradFile(path string) (*GradFile, error) {
	a, err := npz.Read(path)
	if err != nil {
		return nil, err
	}
	r := &reader{a: a, used: map[string]bool{}}
	f, err := r.gradFile()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, name := range a.Names {
		if !r.used[name] {
			return nil, fmt.Errorf("%s: unknown array %q (the names are case-sensitive; see docs/npz.md)", path, name)
		}
	}
	f.Path = path
	return f, nil
}

func (r *reader) gradFile() (*GradFile, error) {
	f := &GradFile{}
	layout, err := r.str(KeyLayout, `"course" (X is d×n) or "rows" (X is n×d)`)
	if err != nil {
		return nil, err
	}
	if f.Layout = Layout(layout); f.Layout != Course && f.Layout != Rows {
		return nil, fmt.Errorf("%s is %q, want %q (X is d×n) or %q (X is n×d)", KeyLayout, layout, Course, Rows)
	}
	loss, err := r.str(KeyLoss, `"cross" or "svm"`)
	if err != nil {
		return nil, err
	}
	if f.Loss, err = graph.ParseLoss(loss); err != nil {
		return nil, fmt.Errorf("%s: %w", KeyLoss, err)
	}
	if f.Lambda, err = r.scalar(KeyLambda, true); err != nil {
		return nil, err
	}
	if !(f.Lambda >= 0 && f.Lambda <= 1e300) {
		return nil, fmt.Errorf("%s is %g, want a finite λ ≥ 0", KeyLambda, f.Lambda)
	}
	if f.Hidden, err = r.hidden(); err != nil {
		return nil, err
	}
	if r.a.Get(KeyBatchNorm) != nil {
		bn, err := r.scalar(KeyBatchNorm, false)
		if err != nil {
			return nil, err
		}
		if bn != 0 && bn != 1 {
			return nil, fmt.Errorf("%s is %g, want 0 or 1", KeyBatchNorm, bn)
		}
		f.BatchNorm = bn == 1
		if f.BatchNorm && len(f.Hidden) == 0 {
			return nil, fmt.Errorf("%s is 1 but %s is empty: the linear model has no batch-norm layer", KeyBatchNorm, KeyHidden)
		}
	}
	// d is W1's width and K the last layer's height; every other shape
	// follows from them and hidden.
	last := fmt.Sprintf("W%d", len(f.Hidden)+1)
	w1, err := r.matrixShape("W1", "layer 1's weights, out×d")
	if err != nil {
		return nil, err
	}
	wk, err := r.matrixShape(last, "the last layer's weights, K×in")
	if err != nil {
		return nil, err
	}
	f.D, f.K = w1[1], wk[0]
	for _, s := range ParamSpecs(f.D, f.Hidden, f.K, f.BatchNorm) {
		p := Param{ParamSpec: s}
		if p.Value, err = r.floats(s.Name, s.Shape, s.What); err != nil {
			return nil, err
		}
		if p.Grad, err = r.floats(GradPrefix+s.Name, s.Shape, "the gradient of "+s.Name); err != nil {
			return nil, err
		}
		f.Params = append(f.Params, p)
	}
	if err := r.batch(f); err != nil {
		return nil, err
	}
	return f, nil
}

// batch reads X and the labels, y or Y (both: they must agree).
func (r *reader) batch(f *GradFile) error {
	x := r.a.Get(KeyX)
	want, wantName := []int{f.D, -1}, "(d, n)"
	if f.Layout == Rows {
		want, wantName = []int{-1, f.D}, "(n, d)"
	}
	if x == nil {
		return fmt.Errorf("no array %s (the batch, shape %s with d = %d, layout %s)", KeyX, wantName, f.D, f.Layout)
	}
	r.used[KeyX] = true
	if x.Kind != npz.Float || len(x.Shape) != 2 || (want[0] >= 0 && x.Shape[0] != want[0]) || (want[1] >= 0 && x.Shape[1] != want[1]) {
		return fmt.Errorf("%s has shape %s dtype %s, want a float array of shape %s with d = %d (layout %s)%s",
			KeyX, npz.ShapeString(x.Shape), x.Dtype, wantName, f.D, f.Layout, layoutHint(x.Shape, want))
	}
	if f.Layout == Course {
		f.N = x.Shape[1]
		f.X = transpose(x.Float, f.D, f.N)
	} else {
		f.N = x.Shape[0]
		f.X = x.Float
	}
	if f.N == 0 {
		return fmt.Errorf("%s holds no samples (n = 0)", KeyX)
	}
	var err error
	if f.Labels, err = r.labels(f); err != nil {
		return err
	}
	return nil
}

// layoutHint says when X has the other layout's shape.
func layoutHint(got, want []int) string {
	if len(got) == 2 && ((want[0] >= 0 && got[1] == want[0]) || (want[1] >= 0 && got[0] == want[1])) {
		return ": it has the other layout's shape; set layout accordingly or transpose X"
	}
	return ""
}

// labels reads y (class indices) and Y (one-hot); at least one is needed.
func (r *reader) labels(f *GradFile) ([]int, error) {
	var fromY, fromy []int
	if r.a.Get(KeyLabels) != nil {
		v, err := r.floats(KeyLabels, []int{f.N}, "the class of each sample, 0-based")
		if err != nil {
			return nil, err
		}
		fromy = make([]int, f.N)
		for i, c := range v {
			if c != float64(int(c)) || c < 0 || int(c) >= f.K {
				hint := ""
				if int(c) == f.K && !slices.Contains(v, 0) {
					hint = " (the labels look 1-based, as MATLAB's: y is 0-based)"
				}
				return nil, fmt.Errorf("%s[%d] is %g, want a class in 0..%d%s", KeyLabels, i, c, f.K-1, hint)
			}
			fromy[i] = int(c)
		}
	}
	if y := r.a.Get(KeyOneHot); y != nil {
		shape, name := []int{f.K, f.N}, "(K, n)"
		if f.Layout == Rows {
			shape, name = []int{f.N, f.K}, "(n, K)"
		}
		r.used[KeyOneHot] = true
		if len(y.Shape) != 2 || y.Shape[0] != shape[0] || y.Shape[1] != shape[1] {
			return nil, fmt.Errorf("%s has shape %s, want %s = %s (one-hot labels, layout %s)", KeyOneHot, npz.ShapeString(y.Shape), name, npz.ShapeString(shape), f.Layout)
		}
		v := y.Float
		if y.Kind == npz.Int {
			v = make([]float64, len(y.Int))
			for i, x := range y.Int {
				v[i] = float64(x)
			}
		} else if y.Kind != npz.Float {
			return nil, fmt.Errorf("%s has dtype %s, want a float or int array", KeyOneHot, y.Dtype)
		}
		if f.Layout == Course {
			v = transpose(v, f.K, f.N)
		}
		fromY = make([]int, f.N)
		for i := 0; i < f.N; i++ {
			row, ones := v[i*f.K:(i+1)*f.K], 0
			for c, x := range row {
				switch x {
				case 1:
					ones++
					fromY[i] = c
				case 0:
				default:
					ones = -1
				}
			}
			if ones != 1 {
				return nil, fmt.Errorf("%s: sample %d's labels %v are not one-hot", KeyOneHot, i, row)
			}
		}
	}
	switch {
	case fromy == nil && fromY == nil:
		return nil, fmt.Errorf("no labels: want %s (n class indices, 0-based) or %s (one-hot)", KeyLabels, KeyOneHot)
	case fromy != nil && fromY != nil:
		for i := range fromy {
			if fromy[i] != fromY[i] {
				return nil, fmt.Errorf("%s[%d] is %d but %s says class %d", KeyLabels, i, fromy[i], KeyOneHot, fromY[i])
			}
		}
	case fromy == nil:
		return fromY, nil
	}
	return fromy, nil
}

// transpose returns the c×r transpose of the r×c row-major matrix m.
func transpose(m []float64, r, c int) []float64 {
	t := make([]float64, len(m))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			t[j*r+i] = m[i*c+j]
		}
	}
	return t
}
