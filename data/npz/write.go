package npz

import (
	"fmt"
	"os"
	"path/filepath"

	npyz "codeberg.org/sbinet/npyio/npz"
)

// Writer writes an .npz archive: into a temporary file beside the
// destination, renamed over it by Close, so a failed write leaves no
// half file.
type Writer struct {
	path, tmp string
	w         *npyz.Writer
	names     map[string]bool
	err       error // the first error; later writes do nothing
}

// Create starts the archive at path.
func Create(path string) (*Writer, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	if err := f.Close(); err != nil {
		return nil, err
	}
	w, err := npyz.Create(tmp)
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	return &Writer{path: path, tmp: tmp, w: w, names: map[string]bool{}}, nil
}

// Floats writes a float64 array of the given shape: () for a scalar,
// (n,) or (r, c); values are in C order.
func (w *Writer) Floats(name string, shape []int, values []float64) {
	n := 1
	for _, s := range shape {
		n *= s
	}
	switch {
	case n != len(values):
		w.fail(fmt.Errorf("array %q: shape %s needs %d values, got %d", name, ShapeString(shape), n, len(values)))
	case len(shape) == 0:
		w.put(name, values[0])
	case n == 0:
		w.fail(fmt.Errorf("array %q is empty: npyio v0.14.0 writes an empty array as a 0-d one", name))
	case len(shape) == 1:
		w.put(name, values)
	case len(shape) == 2:
		rows := make([][]float64, shape[0])
		for i := range rows {
			rows[i] = values[i*shape[1] : (i+1)*shape[1]]
		}
		w.put(name, rows)
	default:
		w.fail(fmt.Errorf("array %q: %d dimensions; this writer writes 0 to 2", name, len(shape)))
	}
}

// Scalar writes a 0-d float64 array.
func (w *Writer) Scalar(name string, v float64) { w.put(name, v) }

// Ints writes a non-empty 1-d int64 array (npyio v0.14.0 writes an empty
// slice as a 0-d array, which NumPy cannot read).
func (w *Writer) Ints(name string, values []int64) {
	if len(values) == 0 {
		w.fail(fmt.Errorf("array %q is empty: npyio v0.14.0 writes an empty array as a 0-d one", name))
		return
	}
	w.put(name, values)
}

// String writes a 0-d unicode string array, as np.savez(name="…") does.
func (w *Writer) String(name, s string) {
	if s == "" {
		w.fail(fmt.Errorf("array %q is an empty string", name))
		return
	}
	w.put(name, s)
}

// Strings writes a non-empty 1-d unicode string array.
func (w *Writer) Strings(name string, s []string) {
	if len(s) == 0 {
		w.fail(fmt.Errorf("array %q is empty: npyio v0.14.0 writes an empty array as a 0-d one", name))
		return
	}
	w.put(name, s)
}

func (w *Writer) put(name string, v any) {
	if w.err != nil {
		return
	}
	if w.names[name] {
		w.fail(fmt.Errorf("array %q written twice", name))
		return
	}
	w.names[name] = true
	defer func() { // npyio panics on types it does not handle
		if p := recover(); p != nil {
			w.fail(fmt.Errorf("array %q: the npy writer failed: %v", name, p))
		}
	}()
	if err := w.w.Write(name+".npy", v); err != nil {
		w.fail(err)
	}
}

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = fmt.Errorf("%s: %w", w.path, err)
	}
}

// Close finishes the archive and moves it into place; after an error in
// any write it removes the temporary file and returns that error.
func (w *Writer) Close() error {
	err := w.w.Close()
	if w.err == nil && err != nil {
		w.err = fmt.Errorf("%s: %w", w.path, err)
	}
	if w.err == nil {
		// CreateTemp's 0600 is for the temporary file; the archive is
		// as readable as any file the user writes.
		if err := os.Chmod(w.tmp, 0o644); err != nil {
			w.err = err
		} else if err := os.Rename(w.tmp, w.path); err != nil {
			w.err = err
		}
	}
	if w.err != nil {
		os.Remove(w.tmp)
	}
	return w.err
}
