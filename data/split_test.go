package data

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// memSource is an in-memory Source of fixture batches of sizes[name]
// images that counts its passes.
type memSource struct {
	sizes  map[string]int
	passes int
}

func (s *memSource) String() string    { return "memory" }
func (s *memSource) Classes() []string { return DefaultClasses() }
func (s *memSource) Batches(names ...string) ([]*Dataset, error) {
	s.passes++
	out := make([]*Dataset, len(names))
	for i, n := range names {
		size, ok := s.sizes[n]
		if !ok {
			return nil, fmt.Errorf("memory: %w: %s", ErrBatchNotFound, n)
		}
		out[i] = makeDataset(n, fixtureBatchIndex(n), size)
	}
	return out, nil
}

func newMemSource() *memSource {
	return &memSource{sizes: map[string]int{
		"data_batch_1": 4, "data_batch_2": 5, "data_batch_3": 3, "data_batch_4": 4, "data_batch_5": 6, "test_batch": 7,
	}}
}

// checkSplit fails t unless ds is named name and holds the given images
// of the fixture batches, in order.
func checkSplit(t *testing.T, ds *Dataset, name string, parts ...*Dataset) {
	t.Helper()
	want := Concat(name, parts...)
	if ds == nil {
		t.Fatalf("split %s is nil", name)
	}
	if ds.Name != name {
		t.Errorf("split named %q, want %q", ds.Name, name)
	}
	if ds.Len() != want.Len() || !bytes.Equal(ds.Labels, want.Labels) || !bytes.Equal(ds.Pixels, want.Pixels) {
		t.Errorf("split %s: %d images, want %d, or different contents", name, ds.Len(), want.Len())
	}
}

func fixture(name string, n int) *Dataset { return makeDataset(name, fixtureBatchIndex(name), n) }

func TestLoadSplitsCourse(t *testing.T) {
	for _, spec := range []SplitSpec{CourseSplit(), {}} { // the zero spec takes the defaults
		src := newMemSource()
		s, err := LoadSplits(src, spec)
		if err != nil {
			t.Fatal(err)
		}
		if src.passes != 1 {
			t.Errorf("%d passes over the source, want 1", src.passes)
		}
		checkSplit(t, s.Train, "data_batch_1", fixture("data_batch_1", 4))
		checkSplit(t, s.Val, "data_batch_2", fixture("data_batch_2", 5))
		checkSplit(t, s.Test, "test_batch", fixture("test_batch", 7))
	}
}

func TestLoadSplitsHoldout(t *testing.T) {
	src := newMemSource()
	spec := AllBatchesSplit(8)
	if !slices.Equal(spec.Train, officialBatches[:5]) || len(spec.Val) != 0 || spec.ValHoldout != 8 {
		t.Fatalf("AllBatchesSplit(8) = %+v", spec)
	}
	s, err := LoadSplits(src, spec)
	if err != nil {
		t.Fatal(err)
	}
	// 4+5+3+4+6 = 22 images: train the first 14, validate on the last 8,
	// which are the last 2 of data_batch_4 and all of data_batch_5.
	b4, b5 := fixture("data_batch_4", 4), fixture("data_batch_5", 6)
	checkSplit(t, s.Train, "data_batch_1..5[:14]",
		fixture("data_batch_1", 4), fixture("data_batch_2", 5), fixture("data_batch_3", 3), b4.Slice(0, 2))
	checkSplit(t, s.Val, "data_batch_1..5[14:]", b4.Slice(2, 4), b5)
	checkSplit(t, s.Test, "test_batch", fixture("test_batch", 7))

	// A holdout from a single batch, with no test split.
	s, err = LoadSplits(newMemSource(), SplitSpec{Train: []string{"data_batch_2"}, Test: []string{}, ValHoldout: 1})
	if err != nil {
		t.Fatal(err)
	}
	b2 := fixture("data_batch_2", 5)
	checkSplit(t, s.Train, "data_batch_2[:4]", b2.Slice(0, 4))
	checkSplit(t, s.Val, "data_batch_2[4:]", b2.Slice(4, 5))
	if s.Test != nil {
		t.Errorf("Test = %v, want nil for an empty Test list", s.Test.Name)
	}
}

func TestLoadSplitsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec SplitSpec
		want string
	}{
		{"holdout = train size", AllBatchesSplit(22), "holdout 22 must be less than the 22 training images of data_batch_1..5"},
		{"holdout > train size", SplitSpec{ValHoldout: 5}, "holdout 5 must be less than the 4 training images of data_batch_1"},
		{"negative holdout", SplitSpec{ValHoldout: -1}, "negative validation holdout -1"},
		{"holdout and val", SplitSpec{Val: []string{"data_batch_2"}, ValHoldout: 1}, "both validation batches"},
		{"empty train", SplitSpec{Train: []string{}}, "no training batches"},
		{"train is test", SplitSpec{Train: []string{"test_batch"}}, "batch test_batch is in both Train and Test"},
		{"val is train", SplitSpec{Train: []string{"data_batch_1", "data_batch_2"}}, "batch data_batch_2 is in both Train and Val"},
		{"duplicate", SplitSpec{Train: []string{"data_batch_1", "data_batch_1"}}, "batch data_batch_1 listed twice in Train"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadSplits(newMemSource(), tc.spec)
			wantErr(t, err, "split: ", tc.want)
			if s != nil {
				t.Error("returned splits with the error")
			}
		})
	}
	src := newMemSource()
	delete(src.sizes, "test_batch")
	_, err := LoadSplits(src, CourseSplit())
	if !errors.Is(err, ErrBatchNotFound) {
		t.Errorf("missing batch: error %v, want ErrBatchNotFound", err)
	}
}

func TestBatchesName(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"data_batch_1", "data_batch_2"}, "data_batch_1..2"},
		{[]string{"data_batch_2", "data_batch_3", "data_batch_4"}, "data_batch_2..4"},
		{[]string{"data_batch_1", "data_batch_3"}, "data_batch_1+data_batch_3"},
		{[]string{"data_batch_2", "data_batch_1"}, "data_batch_2+data_batch_1"},
		{[]string{"data_batch_5", "test_batch"}, "data_batch_5+test_batch"},
		{[]string{"a", "b"}, "a+b"},
		{[]string{"data_batch_x", "data_batch_y"}, "data_batch_x+data_batch_y"},
	} {
		if got := batchesName(tc.names); got != tc.want {
			t.Errorf("batchesName(%v) = %q, want %q", tc.names, got, tc.want)
		}
	}
}

// TestLoadSplitsFromDisk runs LoadSplits on the binary and pickle
// readers end to end.
func TestLoadSplitsFromDisk(t *testing.T) {
	bin := t.TempDir()
	writeFiles(t, bin, binaryFiles(t, 2, ""))
	py := miniPythonDir(t)
	for _, path := range []string{bin, py} {
		src, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := LoadSplits(src, AllBatchesSplit(3))
		if err != nil {
			t.Fatal(err)
		}
		n := 2
		if path == py {
			n = 3
		}
		if s.Train.Len() != 5*n-3 || s.Val.Len() != 3 || s.Test.Len() != n {
			t.Errorf("%s: %d/%d/%d images", src, s.Train.Len(), s.Val.Len(), s.Test.Len())
		}
		checkSplit(t, s.Test, "test_batch", fixture("test_batch", n))
	}
}
