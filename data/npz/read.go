// Package npz reads and writes NumPy .npz archives of named arrays through
// codeberg.org/sbinet/npyio, gtrain's one NumPy reader and writer. It knows
// nothing of what the arrays mean (models/npzfile does): it hands out every
// array in C (row-major) order with its shape, its values as float64, int64
// or string, and errors that name the file and the array.
package npz

import (
	"archive/zip"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	npyz "codeberg.org/sbinet/npyio/npz"
)

// Kind is what an array's values are, whatever their width on disk.
type Kind int

const (
	// Float is a float16/32/64 array, read as float64 (exactly).
	Float Kind = iota
	// Int is a signed, unsigned or bool array, read as int64.
	Int
	// String is a unicode string array (NumPy's '<U…').
	String
)

func (k Kind) String() string {
	return [...]string{"float", "int", "str"}[k]
}

// Array is one array of an archive, in C order: element (i, j) of a 2-d
// array is at i*Shape[1]+j whatever order the file holds it in.
type Array struct {
	Name  string // without the ".npy" that np.savez appends
	Dtype string // NumPy's, e.g. "<f8"
	Kind  Kind
	Shape []int // empty for a 0-d array (a scalar)
	Float []float64
	Int   []int64
	Str   []string
}

// Len is the number of elements.
func (a *Array) Len() int {
	n := 1
	for _, s := range a.Shape {
		n *= s
	}
	return n
}

// ShapeString is the shape as NumPy prints it: (), (3,), (2, 3).
func ShapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, s := range shape {
		parts[i] = strconv.Itoa(s)
	}
	if len(shape) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Archive is every array of one .npz file, read at once.
type Archive struct {
	Path   string
	Names  []string // in the file's order
	arrays map[string]*Array
}

// Get returns the array called name, or nil.
func (a *Archive) Get(name string) *Array { return a.arrays[name] }

// Read reads every array of the .npz file at path.
func Read(path string) (*Archive, error) {
	r, err := npyz.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable .npz file: %v", path, unwrapNpz(err))
	}
	defer r.Close()
	sizes, err := entrySizes(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable .npz file: %v", path, err)
	}
	a := &Archive{Path: path, arrays: map[string]*Array{}}
	for _, key := range r.Keys() {
		arr, err := readArray(r, key, sizes[key])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if a.arrays[arr.Name] != nil {
			return nil, fmt.Errorf("%s: array %q appears twice", path, arr.Name)
		}
		a.Names = append(a.Names, arr.Name)
		a.arrays[arr.Name] = arr
	}
	return a, nil
}

// entrySizes returns the uncompressed size of each entry of the zip file.
func entrySizes(path string) (map[string]uint64, error) {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer z.Close()
	sizes := make(map[string]uint64, len(z.File))
	for _, f := range z.File {
		sizes[f.Name] = f.UncompressedSize64
	}
	return sizes, nil
}

// readArray reads one entry of size bytes. npyio panics on some mismatches between the
// file's dtype and the Go type asked for, so the Go type is chosen from
// the header and any panic left is turned into an error.
func readArray(r *npyz.Reader, key string, size uint64) (arr *Array, err error) {
	name := strings.TrimSuffix(key, ".npy")
	defer func() {
		if p := recover(); p != nil {
			arr, err = nil, fmt.Errorf("array %q: the npy reader failed: %v", name, p)
		}
	}()
	h := r.Header(key)
	if h == nil {
		return nil, fmt.Errorf("entry %q is not a NumPy array", key)
	}
	dtype := strings.Trim(h.Descr.Type, "'\"")
	arr = &Array{Name: name, Dtype: dtype, Shape: append([]int{}, h.Descr.Shape...)}
	// The shape must fit the entry's bytes before anything is allocated
	// for it: a corrupt header could ask for terabytes.
	elems := uint64(1)
	for _, d := range arr.Shape {
		if d < 0 || (d > 0 && elems > size/uint64(d)) {
			return nil, fmt.Errorf("array %q: shape %s does not fit its %d bytes", name, ShapeString(arr.Shape), size)
		}
		elems *= uint64(d)
	}
	if w := itemSize(dtype); w != 0 && elems > size/w {
		return nil, fmt.Errorf("array %q: shape %s does not fit its %d bytes", name, ShapeString(arr.Shape), size)
	}
	kind, ptr, ok := goSliceFor(dtype)
	if !ok {
		return nil, fmt.Errorf("array %q has dtype %s; gtrain reads float, int, bool and str arrays", name, dtype)
	}
	if err := r.Read(key, ptr); err != nil {
		return nil, fmt.Errorf("array %q (dtype %s): %v", name, dtype, unwrapNpz(err))
	}
	v := reflect.ValueOf(ptr).Elem()
	if v.Len() != arr.Len() {
		return nil, fmt.Errorf("array %q: shape %s holds %d values, the file %d", name, ShapeString(arr.Shape), arr.Len(), v.Len())
	}
	arr.Kind = kind
	switch kind {
	case Float:
		arr.Float = make([]float64, v.Len())
		for i := range arr.Float {
			arr.Float[i] = v.Index(i).Convert(reflect.TypeFor[float64]()).Float()
		}
	case Int:
		arr.Int = make([]int64, v.Len())
		for i := range arr.Int {
			e := v.Index(i)
			switch e.Kind() {
			case reflect.Bool:
				if e.Bool() {
					arr.Int[i] = 1
				}
			case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				u := e.Uint()
				if u > 1<<62 {
					return nil, fmt.Errorf("array %q: value %d at %d is too large", name, u, i)
				}
				arr.Int[i] = int64(u)
			default:
				arr.Int[i] = e.Int()
			}
		}
	case String:
		arr.Str = v.Interface().([]string)
	}
	if h.Descr.Fortran && len(arr.Shape) > 1 {
		arr.Float, arr.Int, arr.Str = toCOrder(arr.Float, arr.Shape), toCOrder(arr.Int, arr.Shape), toCOrder(arr.Str, arr.Shape)
	}
	return arr, nil
}

// itemSize is the bytes of one element of dtype, 0 when unknown.
func itemSize(dtype string) uint64 {
	code := strings.TrimLeft(dtype, "<>|=")
	if len(code) < 2 {
		return 0
	}
	n, err := strconv.ParseUint(code[1:], 10, 32)
	if err != nil {
		return 0
	}
	if code[0] == 'U' {
		return 4 * n // UTF-32
	}
	return n
}

// goSliceFor returns the kind and a pointer to a Go slice that npyio reads
// the dtype into.
func goSliceFor(dtype string) (Kind, any, bool) {
	if len(dtype) < 2 {
		return 0, nil, false
	}
	code := strings.TrimLeft(dtype, "<>|=")
	switch code {
	case "f4":
		return Float, new([]float32), true
	case "f8":
		return Float, new([]float64), true
	case "i1":
		return Int, new([]int8), true
	case "i2":
		return Int, new([]int16), true
	case "i4":
		return Int, new([]int32), true
	case "i8":
		return Int, new([]int64), true
	case "u1":
		return Int, new([]uint8), true
	case "u2":
		return Int, new([]uint16), true
	case "u4":
		return Int, new([]uint32), true
	case "u8":
		return Int, new([]uint64), true
	case "b1":
		return Int, new([]bool), true
	}
	if strings.HasPrefix(code, "U") {
		return String, new([]string), true
	}
	return 0, nil, false
}

// toCOrder reorders the values of a Fortran-order (column-major) array
// into C order; NumPy saves a transposed array, such as X.T, that way.
func toCOrder[T any](f []T, shape []int) []T {
	if f == nil {
		return nil
	}
	c := make([]T, len(f))
	idx := make([]int, len(shape)) // C index of c[i], last axis fastest
	for i := range c {
		off, stride := 0, 1
		for ax := range shape { // Fortran offset: first axis fastest
			off += idx[ax] * stride
			stride *= shape[ax]
		}
		c[i] = f[off]
		for ax := len(shape) - 1; ax >= 0; ax-- {
			if idx[ax]++; idx[ax] < shape[ax] {
				break
			}
			idx[ax] = 0
		}
	}
	return c
}

// unwrapNpz drops npyio's "npz: could not …" prefixes, which repeat what
// the caller's message says.
func unwrapNpz(err error) string {
	s := err.Error()
	for _, p := range []string{"npz: could not read from npz reader: ", "npz: could not open npz reader: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}
