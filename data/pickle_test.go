package data

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pickle", name))
	if err != nil {
		t.Fatalf("%v (regenerate with testdata/gen_pickles.py)", err)
	}
	return b
}

func TestReadPickle(t *testing.T) {
	for _, name := range []string{
		"py2.pkl",            // Python 2 cPickle, as the official files
		"py3_proto2.pkl",     // bytes through _codecs.encode
		"py3_proto4.pkl",     // bytes as BINBYTES, framed
		"py3_proto5.pkl",     // numpy _frombuffer with a bytearray
		"py3_bytes_keys.pkl", // bytes keys, big-endian int64 label array
		"py3_nchw.pkl",       // data of shape (N, 3, 32, 32)
		"py3_fortran.pkl",    // column-major data
	} {
		t.Run(name, func(t *testing.T) {
			ds, err := ReadPickle(bytes.NewReader(readFixture(t, name)), "some/dir/"+name)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Name != name {
				t.Errorf("name %q, want %q", ds.Name, name)
			}
			checkFixture(t, ds, 0, 4)
			if !slices.Equal(ds.Classes, DefaultClasses()) {
				t.Errorf("classes %v", ds.Classes)
			}
		})
	}
}

func TestReadMetaPickle(t *testing.T) {
	for _, path := range []string{"testdata/pickle/py3_meta.pkl", "testdata/mini-py/batches.meta.pkl"} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		names, err := readMetaPickle(f, path)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names, DefaultClasses()) {
			t.Errorf("%s: %v", path, names)
		}
	}
	_, err := readMetaPickle(bytes.NewReader(readFixture(t, "py2.pkl")), "m")
	wantErr(t, err, `m: no "label_names" entry`)
}

func TestReadPickleErrors(t *testing.T) {
	good := readFixture(t, "py2.pkl")
	huge := []byte{0x80, 4, 0x8e}
	huge = binary.LittleEndian.AppendUint64(huge, 1<<40)
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"garbage", []byte("\x00\x01 this is not a pickle"), "unknown pickle opcode 0x00"},
		{"text", []byte("hello, world\n"), "not a valid pickle"},
		{"no stop", good[:len(good)-1], "without a STOP opcode"},
		{"truncated in data", good[:len(good)/2], "truncated or corrupt"},
		{"huge length", huge, "needs 1099511627776 bytes, 0 left"},
		{"protocol 9", []byte{0x80, 9, '.'}, "unsupported pickle protocol"},
		{"bad_dtype.pkl", readFixture(t, "bad_dtype.pkl"), "data: dtype <f4, want uint8"},
		{"bad_shape.pkl", readFixture(t, "bad_shape.pkl"), "data: shape (4, 100), want (N, 3072)"},
		{"bad_label.pkl", readFixture(t, "bad_label.pkl"), "labels: image 1: label 12 out of range 0..9"},
		{"bad_count.pkl", readFixture(t, "bad_count.pkl"), "1 labels for 2 images"},
		{"bad_no_data.pkl", readFixture(t, "bad_no_data.pkl"), `no "data" entry`},
		{"bad_not_dict.pkl", readFixture(t, "bad_not_dict.pkl"), "pickle holds a list, want a dict"},
		{"bad_object.pkl", readFixture(t, "bad_object.pkl"), "object arrays are not supported"},
		{"bad_global.pkl", readFixture(t, "bad_global.pkl"), "unsupported Python global datetime.date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := ReadPickle(bytes.NewReader(tc.raw), "data_batch_1")
			wantErr(t, err, "data_batch_1: ", tc.want)
			if ds != nil {
				t.Error("returned a dataset with the error")
			}
		})
	}
}

// TestReadPickleTruncations cuts every fixture encoding at many points:
// each prefix must give an error, never a panic or a dataset.
func TestReadPickleTruncations(t *testing.T) {
	for _, name := range []string{"py2.pkl", "py3_proto2.pkl", "py3_proto4.pkl", "py3_proto5.pkl"} {
		raw := readFixture(t, name)
		for n := 0; n < len(raw); n += 1 + n/16 {
			if _, err := ReadPickle(bytes.NewReader(raw[:n]), name); err == nil {
				t.Errorf("%s cut to %d of %d bytes: no error", name, n, len(raw))
			}
		}
	}
}

// TestReadPickleMutations flips random bytes of the fixtures. A mutated
// pickle may still be valid (a changed pixel is undetectable), but it
// must never panic, and whatever it returns must be consistent.
func TestReadPickleMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"py2.pkl", "py3_proto2.pkl", "py3_proto4.pkl", "py3_proto5.pkl"} {
		raw := readFixture(t, name)
		for range 300 {
			m := bytes.Clone(raw)
			for range 1 + rng.IntN(4) {
				// Mostly the structure outside the pixel data.
				i := rng.IntN(min(len(m), 400))
				if rng.IntN(4) == 0 {
					i = rng.IntN(len(m))
				}
				m[i] = byte(rng.IntN(256))
			}
			checkConsistent(t, m)
		}
	}
}

func checkConsistent(t *testing.T, raw []byte) {
	t.Helper()
	ds, err := ReadPickle(bytes.NewReader(raw), "x")
	if err != nil {
		return
	}
	if ds.Len() == 0 || len(ds.Pixels) != ds.Len()*ImageSize {
		t.Fatalf("inconsistent dataset: %d labels, %d pixel bytes", ds.Len(), len(ds.Pixels))
	}
	for i, l := range ds.Labels {
		if l >= NumClasses {
			t.Fatalf("label %d of image %d out of range", l, i)
		}
	}
}

func FuzzReadPickle(f *testing.F) {
	for _, name := range []string{"py2.pkl", "py3_proto2.pkl", "py3_proto4.pkl", "py3_proto5.pkl", "bad_global.pkl"} {
		f.Add(readFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkConsistent(t, raw) })
}
