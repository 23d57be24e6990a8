package data

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"

	"github.com/nlpodyssey/gopickle/types"
)

// This file holds the few Python callables that the pickles of numpy
// arrays refer to, so that gopickle can rebuild an array from them. It
// covers the reconstruction that numpy's ndarray.__reduce__ emits under
// Python 2 and 3 (_reconstruct, ndarray, dtype, and _codecs.encode for
// Python 3 protocol 2) and the _frombuffer form of protocol 5; every
// other global is refused, so a pickle cannot name arbitrary classes.

// findNumpyClass is the gopickle FindClass hook.
func findNumpyClass(module, name string) (any, error) {
	switch module + "." + name {
	case "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct":
		return reconstructFunc{}, nil
	case "numpy.ndarray":
		return ndarrayClass{}, nil
	case "numpy.dtype":
		return dtypeClass{}, nil
	case "_codecs.encode":
		return codecsEncode{}, nil
	case "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer":
		return frombufferFunc{}, nil
	}
	return nil, fmt.Errorf("unsupported Python global %s.%s", module, name)
}

// ndarray is a numpy array rebuilt from a pickle.
type ndarray struct {
	shape   []int
	dtype   *dtype
	fortran bool   // column-major element order
	raw     []byte // elements, dtype.size bytes each
	set     bool   // whether the state has been set
}

// dtype is a numpy data type: spec is the type string such as "u1" or
// "f4", order the byte order character.
type dtype struct {
	spec  string
	order byte
}

// String returns the dtype in numpy's notation, e.g. "<f4" or "|u1".
func (d *dtype) String() string { return string(d.order) + d.spec }

// kindSize splits spec into its kind letter and item size in bytes.
func (d *dtype) kindSize() (kind byte, size int, ok bool) {
	if len(d.spec) != 2 || d.spec[1] < '1' || d.spec[1] > '8' {
		return 0, 0, false
	}
	return d.spec[0], int(d.spec[1] - '0'), true
}

// bigEndian reports whether multi-byte items are stored big-endian.
func (d *dtype) bigEndian() bool { return d.order == '>' }

type ndarrayClass struct{}

type reconstructFunc struct{}

// Call implements numpy.core.multiarray._reconstruct(ndarray, shape,
// typecode): it returns an empty array whose contents BUILD sets.
func (reconstructFunc) Call(args ...any) (any, error) {
	if len(args) != 3 {
		return nil, fmt.Errorf("_reconstruct: %d arguments, want 3", len(args))
	}
	if _, ok := args[0].(ndarrayClass); !ok {
		return nil, fmt.Errorf("_reconstruct: class %s, want numpy.ndarray", pyType(args[0]))
	}
	return &ndarray{}, nil
}

// PySetState implements ndarray.__setstate__ for states
// (version, shape, dtype, is_fortran, rawdata) and the older
// (shape, dtype, is_fortran, rawdata).
func (a *ndarray) PySetState(state any) error {
	t, ok := state.(*types.Tuple)
	if !ok {
		return fmt.Errorf("ndarray state is %s, want a tuple", pyType(state))
	}
	s := []any(*t)
	if len(s) == 5 {
		s = s[1:]
	}
	if len(s) != 4 {
		return fmt.Errorf("ndarray state has %d items, want 4 or 5", len(*t))
	}
	shape, err := toShape(s[0])
	if err != nil {
		return err
	}
	dt, ok := s[1].(*dtype)
	if !ok {
		return fmt.Errorf("ndarray dtype is %s, want numpy.dtype", pyType(s[1]))
	}
	fortran, err := toBool(s[2])
	if err != nil {
		return fmt.Errorf("ndarray is_fortran: %w", err)
	}
	raw, err := toBytes(s[3])
	if err != nil {
		return fmt.Errorf("ndarray data: %w", err)
	}
	*a = ndarray{shape: shape, dtype: dt, fortran: fortran, raw: raw, set: true}
	return nil
}

type dtypeClass struct{}

// Call implements numpy.dtype(spec, align, copy).
func (dtypeClass) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("numpy.dtype: no arguments")
	}
	spec, err := toString(args[0])
	if err != nil {
		return nil, fmt.Errorf("numpy.dtype: %w", err)
	}
	return &dtype{spec: spec, order: '='}, nil
}

// PySetState implements dtype.__setstate__; only the byte order, the
// second item of every state version numpy writes, matters here.
func (d *dtype) PySetState(state any) error {
	t, ok := state.(*types.Tuple)
	if !ok || t.Len() < 2 {
		return fmt.Errorf("numpy.dtype state %v is not a tuple of at least 2 items", state)
	}
	order, err := toString(t.Get(1))
	if err != nil || len(order) != 1 || !strings.Contains("<>|=", order) {
		return fmt.Errorf("numpy.dtype: bad byte order %v", t.Get(1))
	}
	d.order = order[0]
	return nil
}

type codecsEncode struct{}

// Call implements _codecs.encode(str, "latin1"), which Python 3 protocol
// 2 pickles use to carry bytes: each character stands for one byte.
func (codecsEncode) Call(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("_codecs.encode: %d arguments, want 2", len(args))
	}
	s, err1 := toString(args[0])
	enc, err2 := toString(args[1])
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("_codecs.encode: arguments %s, %s, want strings", pyType(args[0]), pyType(args[1]))
	}
	switch strings.ToLower(enc) {
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1":
	default:
		return nil, fmt.Errorf("_codecs.encode: unsupported encoding %q", enc)
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, fmt.Errorf("_codecs.encode: character %U not in latin1", r)
		}
		b = append(b, byte(r))
	}
	return b, nil
}

type frombufferFunc struct{}

// Call implements numpy.core.numeric._frombuffer(buffer, dtype, shape,
// order), which protocol 5 pickles use.
func (frombufferFunc) Call(args ...any) (any, error) {
	if len(args) != 4 {
		return nil, fmt.Errorf("_frombuffer: %d arguments, want 4", len(args))
	}
	raw, err := toBytes(args[0])
	if err != nil {
		return nil, fmt.Errorf("_frombuffer: %w", err)
	}
	dt, ok := args[1].(*dtype)
	if !ok {
		return nil, fmt.Errorf("_frombuffer: dtype is %s, want numpy.dtype", pyType(args[1]))
	}
	shape, err := toShape(args[2])
	if err != nil {
		return nil, fmt.Errorf("_frombuffer: %w", err)
	}
	order, err := toString(args[3])
	if err != nil || (order != "C" && order != "F") {
		return nil, fmt.Errorf("_frombuffer: bad order %v", args[3])
	}
	return &ndarray{shape: shape, dtype: dt, fortran: order == "F", raw: raw, set: true}, nil
}

// check reports whether a has been rebuilt and its data length matches
// its shape and dtype.
func (a *ndarray) check() error {
	if !a.set {
		return fmt.Errorf("numpy array has no contents")
	}
	_, size, ok := a.dtype.kindSize()
	if !ok {
		return fmt.Errorf("unsupported dtype %s", a.dtype)
	}
	n := 1
	for _, d := range a.shape {
		if d < 0 || (d > 0 && n > int(^uint(0)>>1)/d) {
			return fmt.Errorf("bad shape %v", a.shape)
		}
		n *= d
	}
	if len(a.raw) != n*size {
		return fmt.Errorf("shape %s of %s needs %d bytes, have %d", shapeString(a.shape), a.dtype, n*size, len(a.raw))
	}
	return nil
}

// cOrder returns the raw data of a 2-D or lower array in row-major order.
func (a *ndarray) cOrder(size int) ([]byte, error) {
	if !a.fortran || len(a.shape) < 2 {
		return a.raw, nil
	}
	if len(a.shape) > 2 {
		return nil, fmt.Errorf("Fortran-ordered array of shape %s not supported", shapeString(a.shape))
	}
	rows, cols := a.shape[0], a.shape[1]
	out := make([]byte, len(a.raw))
	for i := range rows {
		for j := range cols {
			copy(out[(i*cols+j)*size:(i*cols+j+1)*size], a.raw[(j*rows+i)*size:])
		}
	}
	return out, nil
}

// ints returns the elements of an integer array as int64s.
func (a *ndarray) ints() ([]int64, error) {
	kind, size, _ := a.dtype.kindSize()
	if (kind != 'i' && kind != 'u') || size&(size-1) != 0 {
		return nil, fmt.Errorf("dtype %s is not an integer type", a.dtype)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if a.dtype.bigEndian() {
		bo = binary.BigEndian
	}
	out := make([]int64, len(a.raw)/size)
	for i := range out {
		b := a.raw[i*size : (i+1)*size]
		var u uint64
		switch size {
		case 1:
			u = uint64(b[0])
		case 2:
			u = uint64(bo.Uint16(b))
		case 4:
			u = uint64(bo.Uint32(b))
		case 8:
			u = bo.Uint64(b)
		}
		if kind == 'i' {
			shift := 64 - 8*size // sign-extend
			out[i] = int64(u<<shift) >> shift
		} else {
			out[i] = int64(u)
		}
	}
	return out, nil
}

// pyType names the Python type of a value decoded by gopickle, for
// messages.
func pyType(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case *types.ByteArray:
		return "bytearray"
	case *types.List:
		return "list"
	case *types.Tuple:
		return "tuple"
	case *types.Dict:
		return "dict"
	case *ndarray:
		return "numpy.ndarray"
	case *dtype:
		return "numpy.dtype"
	case *types.GenericClass:
		return v.Module + "." + v.Name
	}
	return fmt.Sprintf("%T", v)
}

func shapeString(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = fmt.Sprint(d)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// toShape converts a tuple of ints.
func toShape(v any) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("shape is %s, want a tuple", pyType(v))
	}
	shape := make([]int, t.Len())
	for i, d := range *t {
		n, err := toInt(d)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad shape %v", []any(*t))
		}
		shape[i] = int(n)
	}
	return shape, nil
}

// toInt converts a Python int (or Python 2 bool-as-int) to int64.
func toInt(v any) (int64, error) {
	switch v := v.(type) {
	case int:
		return int64(v), nil
	case *big.Int:
		if v.IsInt64() {
			return v.Int64(), nil
		}
		return 0, fmt.Errorf("integer %v out of range", v)
	}
	return 0, fmt.Errorf("%s is not an integer", pyType(v))
}

// toBool accepts Python 3 bools and the ints Python 2 numpy wrote.
func toBool(v any) (bool, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case int:
		return v != 0, nil
	}
	return false, fmt.Errorf("%s is not a bool", pyType(v))
}

// toString accepts a Python str, including a Python 2 str of bytes.
func toString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	}
	return "", fmt.Errorf("%s is not a string", pyType(v))
}

// toBytes accepts the forms raw array data takes: Python 3 bytes or
// bytearray, or a Python 2 str, which gopickle decodes to a Go string
// holding the bytes unchanged.
func toBytes(v any) ([]byte, error) {
	switch v := v.(type) {
	case []byte:
		return v, nil
	case *types.ByteArray:
		return []byte(*v), nil
	case string:
		return []byte(v), nil
	}
	return nil, fmt.Errorf("%s is not a byte string (object arrays are not supported)", pyType(v))
}
