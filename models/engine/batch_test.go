package engine

import "testing"

// TestResolve: a batch names a split the engine has and rows inside it;
// a batch of its own names none.
func TestResolve(t *testing.T) {
	s := &Split[float64]{Name: "train", X: make([]float64, 5*2), Y: make([]float64, 5*3), Labels: make([]uint8, 5)}
	ss := Splits[float64]{s}
	for _, c := range []struct {
		b  Batch[float64]
		ok bool
	}{
		{Batch[float64]{Split: "train", Start: 3}, true},
		{Batch[float64]{Split: "train", Start: 4}, false},
		{Batch[float64]{Split: "train", Rows: []int{4, 0}}, true},
		{Batch[float64]{Split: "train", Rows: []int{5, 0}}, false},
		{Batch[float64]{Split: "train", Rows: []int{1}}, false},
		{Batch[float64]{Split: "val"}, false},
	} {
		got, err := ss.Resolve(c.b, 2)
		if (err == nil) != c.ok || (c.ok && got != s) {
			t.Errorf("%+v: %v, %v", c.b, got, err)
		}
	}
	if got, err := ss.Resolve(Batch[float64]{X: []float64{1}}, 2); got != nil || err != nil {
		t.Errorf("own data: %v, %v", got, err)
	}
}

// TestLookupNamesTheSplits: an unknown name's error says which splits the
// engine has.
func TestLookupNamesTheSplits(t *testing.T) {
	train, val := &Split[float32]{Name: "train"}, &Split[float32]{Name: "val"}
	for _, c := range []struct {
		ss   Splits[float32]
		name string
		want string
	}{
		{Splits[float32]{train, val}, "test", `engine: no split "test" among the engine's (it has "train", "val")`},
		{nil, "train", `engine: no split "train" among the engine's (it has none)`},
	} {
		if _, err := c.ss.Lookup(c.name); err == nil || err.Error() != c.want {
			t.Errorf("Lookup(%q) = %v, want %s", c.name, err, c.want)
		}
	}
	if got, err := (Splits[float32]{train, val}).Lookup("val"); got != val || err != nil {
		t.Errorf("Lookup(val) = %v, %v", got, err)
	}
}
