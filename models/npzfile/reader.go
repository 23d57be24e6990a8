package npzfile

import (
	"fmt"
	"math"
	"slices"

	"github.com/gtrain/gtrain/data/npz"
)

// reader takes arrays out of an archive by name, checking kind and shape,
// and records which it took (the rest are unknown names).
type reader struct {
	a    *npz.Archive
	used map[string]bool
}

func (r *reader) get(name string) *npz.Array {
	r.used[name] = true
	return r.a.Get(name)
}

// str reads a string: 0-d, or one element (scipy's loadmat gives (1,)).
func (r *reader) str(name, want string) (string, error) {
	a := r.get(name)
	if a == nil {
		return "", fmt.Errorf("no array %s (want %s)", name, want)
	}
	if a.Kind != npz.String || len(a.Str) != 1 {
		return "", fmt.Errorf("%s has shape %s dtype %s, want one string: %s", name, npz.ShapeString(a.Shape), a.Dtype, want)
	}
	return a.Str[0], nil
}

// scalar reads one number of any shape with one element (MATLAB's are
// 1×1); ints and bools are taken as numbers.
func (r *reader) scalar(name string, required bool) (float64, error) {
	a := r.get(name)
	if a == nil {
		if required {
			return 0, fmt.Errorf("no array %s (want a number)", name)
		}
		return 0, nil
	}
	v, err := numbers(a)
	if err != nil || len(v) != 1 {
		return 0, fmt.Errorf("%s has shape %s dtype %s, want one number", name, npz.ShapeString(a.Shape), a.Dtype)
	}
	return v[0], nil
}

// hidden reads the hidden widths: absent or empty for the linear model.
func (r *reader) hidden() ([]int, error) {
	a := r.get(KeyHidden)
	if a == nil || a.Len() == 0 {
		return nil, nil
	}
	v, err := numbers(a)
	if err != nil || !isVector(a.Shape, a.Len()) {
		return nil, fmt.Errorf("%s has shape %s dtype %s, want the hidden layers' widths, a vector of ints", KeyHidden, npz.ShapeString(a.Shape), a.Dtype)
	}
	h := make([]int, len(v))
	for i, x := range v {
		if x != math.Trunc(x) || x < 1 || x > 1<<20 {
			return nil, fmt.Errorf("%s[%d] is %g, want a width ≥ 1", KeyHidden, i, x)
		}
		h[i] = int(x)
	}
	return h, nil
}

// matrixShape returns the shape of a 2-d array, for the widths it fixes.
func (r *reader) matrixShape(name, what string) ([]int, error) {
	a := r.a.Get(name)
	if a == nil {
		return nil, fmt.Errorf("no array %s (%s)", name, what)
	}
	if len(a.Shape) != 2 {
		return nil, fmt.Errorf("%s has shape %s, want a matrix (%s)", name, npz.ShapeString(a.Shape), what)
	}
	return a.Shape, nil
}

// floats reads a number array of shape want in C order. A vector may be
// stored as (n,), (n, 1) or (1, n): the course writes b as K×1. NaN and
// ±Inf are refused: no comparison can pass or fail on them.
func (r *reader) floats(name string, want []int, what string) ([]float64, error) {
	a := r.get(name)
	if a == nil {
		return nil, fmt.Errorf("no array %s (%s, shape %s)", name, what, npz.ShapeString(want))
	}
	v, err := numbers(a)
	if err != nil {
		return nil, fmt.Errorf("%s has dtype %s, want a float array (%s)", name, a.Dtype, what)
	}
	if !slices.Equal(a.Shape, want) && !(len(want) == 1 && isVector(a.Shape, want[0])) {
		hint := ""
		if len(want) == 2 && slices.Equal(a.Shape, []int{want[1], want[0]}) && want[0] != want[1] {
			hint = ": it is transposed (W is out×in, K×d for the linear model, in every layout)"
		}
		return nil, fmt.Errorf("%s has shape %s, want %s (%s)%s", name, npz.ShapeString(a.Shape), npz.ShapeString(want), what, hint)
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s[%d] is %g (%s)", name, i, x, what)
		}
	}
	return v, nil
}

// numbers returns a float or int array's values as float64.
func numbers(a *npz.Array) ([]float64, error) {
	switch a.Kind {
	case npz.Float:
		return a.Float, nil
	case npz.Int:
		v := make([]float64, len(a.Int))
		for i, x := range a.Int {
			v[i] = float64(x)
		}
		return v, nil
	}
	return nil, fmt.Errorf("%s: not a number array", a.Name)
}

// isVector reports whether shape is (n,), (n, 1) or (1, n).
func isVector(shape []int, n int) bool {
	switch len(shape) {
	case 1:
		return shape[0] == n
	case 2:
		return (shape[0] == n && shape[1] == 1) || (shape[0] == 1 && shape[1] == n)
	}
	return false
}
