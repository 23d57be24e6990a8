package npzfile

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data/npz"
)

// entry writes one array of a test file.
type entry func(w *npz.Writer, name string)

func floats(shape ...int) entry {
	return func(w *npz.Writer, name string) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = 0.01 * float64(i%7-3)
		}
		w.Floats(name, shape, v)
	}
}

func values(shape []int, v ...float64) entry {
	return func(w *npz.Writer, name string) { w.Floats(name, shape, v) }
}

func str(s string) entry     { return func(w *npz.Writer, name string) { w.String(name, s) } }
func scalar(v float64) entry { return func(w *npz.Writer, name string) { w.Scalar(name, v) } }
func ints(v ...int64) entry  { return func(w *npz.Writer, name string) { w.Ints(name, v) } }

// validLinear is a valid course-layout file: K = 3, d = 4, n = 5.
func validLinear() map[string]entry {
	return map[string]entry{
		"layout": str("course"), "loss": str("cross"), "lambda": scalar(0.1),
		"W1": floats(3, 4), "b1": floats(3, 1), "grad_W1": floats(3, 4), "grad_b1": floats(3),
		"X": floats(4, 5), "y": ints(0, 1, 2, 0, 1),
	}
}

func writeEntries(t testing.TB, arrays map[string]entry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.npz")
	w, err := npz.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range arrays {
		e(w, name)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every missing or mis-shaped array is one error naming it, the shape it
// has and the shape it should have.
func TestReadGradFileErrors(t *testing.T) {
	cases := []struct {
		change map[string]entry // nil deletes
		want   string
	}{
		{map[string]entry{"grad_b1": nil}, "no array grad_b1 (the gradient of b1, shape (3,))"},
		{map[string]entry{"W1": nil}, "no array W1 (layer 1's weights, out×d)"},
		{map[string]entry{"layout": nil}, `no array layout (want "course" (X is d×n) or "rows" (X is n×d))`},
		{map[string]entry{"lambda": nil}, "no array lambda (want a number)"},
		{map[string]entry{"X": nil}, "no array X (the batch, shape (d, n) with d = 4, layout course)"},
		{map[string]entry{"y": nil}, "no labels: want y (n class indices, 0-based) or Y (one-hot)"},
		{map[string]entry{"grad_W1": floats(4, 3)}, "grad_W1 has shape (4, 3), want (3, 4) (the gradient of W1): it is transposed"},
		{map[string]entry{"grad_W1": floats(3, 5)}, "grad_W1 has shape (3, 5), want (3, 4) (the gradient of W1)"},
		{map[string]entry{"b1": floats(4)}, "b1 has shape (4,), want (3,) (layer 1's bias, K)"},
		{map[string]entry{"X": floats(5, 4)}, "X has shape (5, 4) dtype <f8, want a float array of shape (d, n) with d = 4 (layout course): it has the other layout's shape"},
		{map[string]entry{"X": floats(20)}, "X has shape (20,) dtype <f8, want a float array of shape (d, n)"},
		{map[string]entry{"W1": floats(12)}, "W1 has shape (12,), want a matrix (layer 1's weights, out×d)"},
		{map[string]entry{"layout": str("columns")}, `layout is "columns", want "course" (X is d×n) or "rows" (X is n×d)`},
		{map[string]entry{"loss": str("hinge")}, `loss: unknown loss "hinge" (want cross or svm)`},
		{map[string]entry{"loss": scalar(1)}, "loss has shape () dtype <f8, want one string"},
		{map[string]entry{"lambda": scalar(-1)}, "lambda is -1, want a finite λ ≥ 0"},
		{map[string]entry{"lambda": floats(2)}, "lambda has shape (2,) dtype <f8, want one number"},
		{map[string]entry{"y": ints(0, 1, 3, 0, 1)}, "y[2] is 3, want a class in 0..2"},
		{map[string]entry{"y": ints(1, 2, 3, 1, 1)}, "y[2] is 3, want a class in 0..2 (the labels look 1-based, as MATLAB's: y is 0-based)"},
		{map[string]entry{"y": ints(0, 1, 2)}, "y has shape (3,), want (5,) (the class of each sample, 0-based)"},
		{map[string]entry{"Y": floats(3, 5)}, "Y: sample 0's labels [-0.03 0.02 0] are not one-hot"},
		{map[string]entry{"Y": floats(5, 3)}, "Y has shape (5, 3), want (K, n) = (3, 5) (one-hot labels, layout course)"},
		{map[string]entry{"Y": values([]int{3, 5}, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0)}, "y[1] is 1 but Y says class 0"},
		{map[string]entry{"grad_w1": floats(3, 4)}, `unknown array "grad_w1" (the names are case-sensitive; see docs/npz.md)`},
		{map[string]entry{"grad_b1": values([]int{3}, 0, 1, math.Inf(1))}, "grad_b1[2] is +Inf (the gradient of b1)"},
		{map[string]entry{"hidden": ints(6)}, "no array W2 (the last layer's weights, K×in)"},
		{map[string]entry{"hidden": ints(6), "W2": floats(3, 6)}, "W1 has shape (3, 4), want (6, 4) (layer 1's weights, m1×d)"},
		{map[string]entry{"hidden": ints(0)}, "hidden[0] is 0, want a width ≥ 1"},
		{map[string]entry{"batch_norm": scalar(1)}, "batch_norm is 1 but hidden is empty: the linear model has no batch-norm layer"},
		{map[string]entry{"batch_norm": scalar(2)}, "batch_norm is 2, want 0 or 1"},
	}
	for _, c := range cases {
		arrays := validLinear()
		for name, e := range c.change {
			if e == nil {
				delete(arrays, name)
			} else {
				arrays[name] = e
			}
		}
		path := writeEntries(t, arrays)
		_, err := ReadGradFile(path)
		if err == nil || !strings.HasPrefix(err.Error(), path+": "+c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v:\n got %v\nwant %s: %s", keys(c.change), err, path, c.want)
		}
	}
	if _, err := ReadGradFile(writeEntries(t, validLinear())); err != nil {
		t.Errorf("the valid file: %v", err)
	}
}

// A file with hidden layers and batch norm is read with every layer's
// arrays: the format already defines the k-layer names.
func TestReadGradFileKLayer(t *testing.T) {
	arrays := validLinear()
	for name, e := range map[string]entry{
		"hidden": ints(6), "batch_norm": scalar(1),
		"W1": floats(6, 4), "b1": floats(6), "gamma1": floats(6), "beta1": floats(6, 1),
		"W2": floats(3, 6), "b2": floats(3), "grad_W1": floats(6, 4), "grad_b1": floats(6), "grad_gamma1": floats(6),
		"grad_beta1": floats(6), "grad_W2": floats(3, 6), "grad_b2": floats(1, 3),
	} {
		arrays[name] = e
	}
	f, err := ReadGradFile(writeEntries(t, arrays))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range f.Params {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "W1 b1 gamma1 beta1 W2 b2" || f.K != 3 || f.D != 4 || f.N != 5 || !f.BatchNorm {
		t.Errorf("params %s, K %d d %d n %d bn %v", got, f.K, f.D, f.N, f.BatchNorm)
	}
}

func keys(m map[string]entry) (out []string) {
	for k, e := range m {
		if e == nil {
			k = "-" + k
		}
		out = append(out, k)
	}
	return out
}
