package data

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"path/filepath"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// ReadPickle reads one batch of the Python version of CIFAR-10
// (cifar-10-batches-py) from r: a pickled dict whose "data" is a numpy
// uint8 array of shape (N, 3072) (or (N, 3, 32, 32)) and whose "labels"
// is a list of N ints. The Python 2 cPickle files of the official archive
// and Python 3 pickles of protocols 2 to 5 are accepted. name is used in
// errors and, without its directory, as the Dataset name. The returned
// Dataset has the DefaultClasses.
//
// Malformed input of any kind yields an error naming the file, never a
// panic.
func ReadPickle(r io.Reader, name string) (*Dataset, error) {
	v, err := unpickle(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ds, err := batchFromPickle(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ds.Name = path.Base(filepath.ToSlash(name))
	return ds, nil
}

// readMetaPickle reads the label_names of a batches.meta pickle.
func readMetaPickle(r io.Reader, name string) ([]string, error) {
	v, err := unpickle(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	names, err := classesFromPickle(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return names, nil
}

// unpickle decodes one pickle with gopickle, turning panics inside it
// into errors.
func unpickle(r io.Reader) (v any, err error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, readErr(err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("empty file, want a pickle")
	}
	if err := checkPickle(raw); err != nil {
		return nil, fmt.Errorf("not a valid pickle: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("unpickling: gopickle panicked: %v", p)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(raw))
	u.FindClass = findNumpyClass
	v, err = u.Load()
	if err != nil {
		return nil, fmt.Errorf("unpickling: %w", err)
	}
	return v, nil
}

// batchFromPickle builds a Dataset from an unpickled batch dict.
func batchFromPickle(v any) (*Dataset, error) {
	d, ok := v.(*types.Dict)
	if !ok {
		return nil, fmt.Errorf("pickle holds a %s, want a dict", pyType(v))
	}
	dv, ok := dictGet(d, "data")
	if !ok {
		return nil, fmt.Errorf(`no "data" entry`)
	}
	pixels, n, err := pixelsFromArray(dv)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	lv, ok := dictGet(d, "labels")
	if !ok {
		return nil, fmt.Errorf(`no "labels" entry`)
	}
	labels, err := labelsFrom(lv)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("%d labels for %d images", len(labels), n)
	}
	return &Dataset{Pixels: pixels, Labels: labels, Classes: DefaultClasses()}, nil
}

// pixelsFromArray checks that v is a uint8 array of n images and returns
// its bytes in row-major order.
func pixelsFromArray(v any) (pixels []uint8, n int, err error) {
	a, ok := v.(*ndarray)
	if !ok {
		return nil, 0, fmt.Errorf("%s, want a numpy array", pyType(v))
	}
	if err := a.check(); err != nil {
		return nil, 0, err
	}
	if kind, size, _ := a.dtype.kindSize(); kind != 'u' || size != 1 {
		return nil, 0, fmt.Errorf("dtype %s, want uint8 (|u1)", a.dtype)
	}
	s := a.shape
	ok = len(s) == 2 && s[1] == ImageSize ||
		len(s) == 4 && s[1] == Channels && s[2] == Side && s[3] == Side
	if !ok || s[0] == 0 {
		return nil, 0, fmt.Errorf("shape %s, want (N, %d) with N > 0", shapeString(s), ImageSize)
	}
	raw, err := a.cOrder(1)
	if err != nil {
		return nil, 0, err
	}
	// Copy, so the Dataset does not keep the whole decoded pickle alive
	// and owns its pixels.
	return append([]uint8(nil), raw...), s[0], nil
}

// labelsFrom converts a list of ints or a 1-D integer array to labels,
// checking the range.
func labelsFrom(v any) ([]uint8, error) {
	var ints []int64
	switch v := v.(type) {
	case *types.List:
		ints = make([]int64, v.Len())
		for i, x := range *v {
			n, err := toInt(x)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			ints[i] = n
		}
	case *ndarray:
		if err := v.check(); err != nil {
			return nil, err
		}
		if len(v.shape) != 1 {
			return nil, fmt.Errorf("shape %s, want (N,)", shapeString(v.shape))
		}
		var err error
		if ints, err = v.ints(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s, want a list of ints", pyType(v))
	}
	labels := make([]uint8, len(ints))
	for i, n := range ints {
		if n < 0 || n >= NumClasses {
			return nil, fmt.Errorf("image %d: label %d out of range 0..%d", i, n, NumClasses-1)
		}
		labels[i] = uint8(n)
	}
	return labels, nil
}

// classesFromPickle returns the label_names of a batches.meta dict.
func classesFromPickle(v any) ([]string, error) {
	d, ok := v.(*types.Dict)
	if !ok {
		return nil, fmt.Errorf("pickle holds a %s, want a dict", pyType(v))
	}
	lv, ok := dictGet(d, "label_names")
	if !ok {
		return nil, fmt.Errorf(`no "label_names" entry`)
	}
	l, ok := lv.(*types.List)
	if !ok {
		return nil, fmt.Errorf("label_names: %s, want a list", pyType(lv))
	}
	names := make([]string, l.Len())
	for i, x := range *l {
		s, err := toString(x)
		if err != nil {
			return nil, fmt.Errorf("label_names: item %d: %w", i, err)
		}
		names[i] = s
	}
	return checkClasses(names)
}

// dictGet looks key up in d, matching Python 2 str, Python 3 str and
// bytes keys alike: pickles written from Python 3 after loading the
// official files with encoding="bytes" have bytes keys.
func dictGet(d *types.Dict, key string) (any, bool) {
	for _, e := range *d {
		if k, err := toString(e.Key); err == nil && k == key {
			return e.Value, true
		}
	}
	return nil, false
}
