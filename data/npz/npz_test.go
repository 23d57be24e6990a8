package npz

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data/datatest"
)

// numpy runs a Python snippet with numpy imported as np and fails the test
// on a non-zero exit.
func numpy(t *testing.T, python, script string) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import numpy as np\n"+script).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
}

// Arrays written by NumPy itself, in every order, width and byte order a
// student's code produces, read back in C order with their shapes.
func TestReadNumPyWritten(t *testing.T) {
	python := datatest.NumPy(t, "the npz reader on NumPy's own files goes unchecked")
	path := filepath.Join(t.TempDir(), "a.npz")
	numpy(t, python, `
a = np.arange(6.0).reshape(2, 3)
np.savez(`+"r'"+path+"'"+`,
    c=a, f=np.asfortranarray(a), t=np.arange(6.0).reshape(3, 2).T,
    f32=a.astype(np.float32), be=a.astype('>f8'),
    cube=np.asfortranarray(np.arange(24.0).reshape(2, 3, 4)),
    i64=np.array([0, 9, -3]), i32=np.array([1, 2], dtype=np.int32), u8=np.array([7], dtype=np.uint8),
    flags=np.array([True, False]), lam=np.float64(0.25), empty=np.array([], dtype=np.int64),
    loss='svm', classes=np.array(['airplane', 'cat']))
`)
	a, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	f := func(v ...float64) []float64 { return v }
	i := func(v ...int64) []int64 { return v }
	cube := make([]float64, 24)
	for k := range cube {
		cube[k] = float64(k)
	}
	cases := []struct {
		name  string
		kind  Kind
		shape []int
		float []float64
		int   []int64
		str   []string
	}{
		{"c", Float, []int{2, 3}, f(0, 1, 2, 3, 4, 5), nil, nil},
		{"f", Float, []int{2, 3}, f(0, 1, 2, 3, 4, 5), nil, nil},
		{"t", Float, []int{2, 3}, f(0, 2, 4, 1, 3, 5), nil, nil},
		{"f32", Float, []int{2, 3}, f(0, 1, 2, 3, 4, 5), nil, nil},
		{"be", Float, []int{2, 3}, f(0, 1, 2, 3, 4, 5), nil, nil},
		{"cube", Float, []int{2, 3, 4}, cube, nil, nil},
		{"i64", Int, []int{3}, nil, i(0, 9, -3), nil},
		{"i32", Int, []int{2}, nil, i(1, 2), nil},
		{"u8", Int, []int{1}, nil, i(7), nil},
		{"flags", Int, []int{2}, nil, i(1, 0), nil},
		{"lam", Float, []int{}, f(0.25), nil, nil},
		{"empty", Int, []int{0}, nil, []int64{}, nil},
		{"loss", String, []int{}, nil, nil, []string{"svm"}},
		{"classes", String, []int{2}, nil, nil, []string{"airplane", "cat"}},
	}
	if len(a.Names) != len(cases) {
		t.Errorf("names %v, want %d", a.Names, len(cases))
	}
	for _, c := range cases {
		got := a.Get(c.name)
		if got == nil {
			t.Errorf("%s: missing", c.name)
			continue
		}
		if got.Kind != c.kind || !reflect.DeepEqual(got.Shape, c.shape) || !reflect.DeepEqual(got.Float, c.float) ||
			!reflect.DeepEqual(got.Int, c.int) || !reflect.DeepEqual(got.Str, c.str) {
			t.Errorf("%s: kind %v shape %v float %v int %v str %q; want %v %v %v %v %q",
				c.name, got.Kind, got.Shape, got.Float, got.Int, got.Str, c.kind, c.shape, c.float, c.int, c.str)
		}
	}
}

// What Writer writes, NumPy reads with the same shapes, dtypes and values.
func TestWriteReadByNumPy(t *testing.T) {
	python := datatest.NumPy(t, "NumPy's reading of gtrain's npz files goes unchecked")
	path := filepath.Join(t.TempDir(), "w.npz")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Floats("W1", []int{2, 3}, []float64{0, 1, 2, 3, 4.5, -5e-300})
	w.Floats("b1", []int{2}, []float64{0.1, 0.2})
	w.Floats("one", []int{}, []float64{7})
	w.Scalar("lambda", 0.125)
	w.Ints("hidden", []int64{50, 30})
	w.String("loss", "cross")
	w.Strings("classes", []string{"airplane", "automobile"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	numpy(t, python, `
z = np.load(`+"r'"+path+"'"+`)
assert sorted(z.files) == ['W1', 'b1', 'classes', 'hidden', 'lambda', 'loss', 'one'], z.files
assert z['W1'].dtype == np.float64 and z['W1'].shape == (2, 3)
assert (z['W1'] == np.array([[0, 1, 2], [3, 4.5, -5e-300]])).all(), z['W1']
assert z['b1'].shape == (2,) and (z['b1'] == [0.1, 0.2]).all()
assert z['one'].shape == () and z['one'] == 7
assert z['lambda'].shape == () and z['lambda'] == 0.125
assert z['hidden'].dtype == np.int64 and list(z['hidden']) == [50, 30]
assert str(z['loss']) == 'cross'
assert list(z['classes']) == ['airplane', 'automobile']
`)
	// And gtrain reads its own file back.
	a, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Get("W1"); !reflect.DeepEqual(got.Float, []float64{0, 1, 2, 3, 4.5, -5e-300}) || !reflect.DeepEqual(got.Shape, []int{2, 3}) {
		t.Errorf("W1 read back as %v %v", got.Shape, got.Float)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("stat: %v %v", fi.Mode(), err)
	}
}

// A write that cannot be done fails Close with one error naming the array,
// and leaves neither the file nor a temporary one.
func TestWriterErrors(t *testing.T) {
	cases := []struct {
		write func(w *Writer)
		want  string
	}{
		{func(w *Writer) { w.Floats("W1", []int{2, 3}, []float64{1}) }, `array "W1": shape (2, 3) needs 6 values, got 1`},
		{func(w *Writer) { w.Ints("hidden", nil) }, `array "hidden" is empty`},
		{func(w *Writer) { w.Floats("x", []int{0}, nil) }, `array "x" is empty`},
		{func(w *Writer) { w.Floats("x", []int{1, 1, 1}, []float64{1}) }, `array "x": 3 dimensions`},
		{func(w *Writer) { w.Scalar("a", 1); w.Scalar("a", 2) }, `array "a" written twice`},
		{func(w *Writer) { w.String("loss", "") }, `array "loss" is an empty string`},
	}
	for _, c := range cases {
		dir := t.TempDir()
		path := filepath.Join(dir, "e.npz")
		w, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		c.write(w)
		err = w.Close()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("error %v, want %q", err, c.want)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("%q: left %v", c.want, left)
		}
	}
}

// Files that are not archives, or hold arrays gtrain does not read, give
// one error naming the file and the array.
func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.npz")
	if err := os.WriteFile(junk, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(junk); err == nil || !strings.Contains(err.Error(), junk+": not a readable .npz file") {
		t.Errorf("junk: %v", err)
	}
	if _, err := Read(filepath.Join(dir, "none.npz")); err == nil || !strings.Contains(err.Error(), "none.npz") {
		t.Errorf("missing file: %v", err)
	}
	python := datatest.NumPy(t, "the npz reader's refusal of complex, object and oversized arrays goes unchecked")
	// A header whose shape asks for more than the entry holds is refused
	// before anything is allocated.
	huge := filepath.Join(dir, "huge.npz")
	numpy(t, python, `
import io, zipfile
b = io.BytesIO(); np.save(b, np.arange(3.0)); raw = b.getvalue()
end = raw.index(b"\n", 10)
head = raw[10:end].replace(b"(3,), }", b"(99999999999,), }").rstrip(b" ")
head = head + b" " * (end - 10 - len(head))
with zipfile.ZipFile(r'`+huge+`', "w") as z:
    z.writestr("a.npy", raw[:10] + head + raw[end:])
`)
	if _, err := Read(huge); err == nil || !strings.Contains(err.Error(), `array "a": shape (99999999999,) does not fit its`) {
		t.Errorf("huge: %v", err)
	}
	for _, c := range []struct{ expr, want string }{
		{"np.array([1+2j])", `array "a" has dtype <c16; gtrain reads float, int, bool and str arrays`},
		{"np.array([1, 'a'], dtype=object)", `array "a" has dtype |O`},
	} {
		path := filepath.Join(dir, "c.npz")
		numpy(t, python, "np.savez(r'"+path+"', a="+c.expr+")")
		if _, err := Read(path); err == nil || !strings.Contains(err.Error(), path+": "+c.want) {
			t.Errorf("%s: %v, want %q", c.expr, err, c.want)
		}
	}
}

// toCOrder is the transpose of a column-major layout, for any rank.
func TestToCOrder(t *testing.T) {
	cases := []struct {
		shape []int
		f, c  []int
	}{
		{[]int{2, 3}, []int{0, 3, 1, 4, 2, 5}, []int{0, 1, 2, 3, 4, 5}},
		{[]int{3, 1}, []int{1, 2, 3}, []int{1, 2, 3}},
		{[]int{2, 2, 2}, []int{0, 4, 2, 6, 1, 5, 3, 7}, []int{0, 1, 2, 3, 4, 5, 6, 7}},
	}
	for _, c := range cases {
		if got := toCOrder(c.f, c.shape); !reflect.DeepEqual(got, c.c) {
			t.Errorf("%v: %v, want %v", c.shape, got, c.c)
		}
	}
}
