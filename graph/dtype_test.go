package graph

import (
	"testing"
)

func dtypeName[T Float]() string { return Dtype[T]().String() }

// TestForDtype: each name picks its instantiation; any other name is
// refused with one message.
func TestForDtype(t *testing.T) {
	for _, name := range []string{"float32", "float64"} {
		f, err := ForDtype(name, dtypeName[float32], dtypeName[float64])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := f(); got != name {
			t.Errorf("ForDtype(%q) ran the %s instantiation", name, got)
		}
	}
	for _, name := range []string{"", "int8", "Float32", "float16"} {
		f, err := ForDtype(name, dtypeName[float32], dtypeName[float64])
		if want := `dtype "` + name + `": want float64 or float32`; err == nil || err.Error() != want || f != nil {
			t.Errorf("ForDtype(%q): %v, want the error %s and no function", name, err, want)
		}
	}
}
