package data

import (
	"slices"
	"testing"
)

// TestRealCourseSplit reads the real data named by CIFAR10_DIR.
func TestRealCourseSplit(t *testing.T) {
	src, err := Open(cifarDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(src.Classes(), DefaultClasses()) {
		t.Errorf("classes %v", src.Classes())
	}
	s, err := LoadSplits(src, CourseSplit())
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range []*Dataset{s.Train, s.Val, s.Test} {
		if ds.Len() != 10000 || len(ds.Pixels) != 10000*ImageSize {
			t.Errorf("%s: %d images, %d pixel bytes", ds.Name, ds.Len(), len(ds.Pixels))
		}
		var counts [NumClasses]int
		for _, l := range ds.Labels {
			counts[l]++
		}
		sum := 0
		for c, n := range counts {
			// Every class is well represented in every batch.
			if n < 900 || n > 1100 {
				t.Errorf("%s: %d images of class %d", ds.Name, n, c)
			}
			sum += n
		}
		if sum != ds.Len() {
			t.Errorf("%s: class counts sum to %d", ds.Name, sum)
		}
	}
	// The official test batch is balanced.
	var test [NumClasses]int
	for _, l := range s.Test.Labels {
		test[l]++
	}
	for c, n := range test {
		if n != 1000 {
			t.Errorf("test_batch: %d images of class %d, want 1000", n, c)
		}
	}
	if l := s.Train.Labels[0]; l != 6 || s.Train.Classes[l] != "frog" {
		t.Errorf("first label of data_batch_1: %d (%s), want 6 (frog)", l, s.Train.Classes[l])
	}

	nz := FitNormalizer(s.Train)
	for j := range ImageSize {
		if nz.Mean[j] < 0.3 || nz.Mean[j] > 0.7 || nz.Std[j] < 0.15 || nz.Std[j] > 0.35 {
			t.Fatalf("dimension %d: mean %v, std %v implausible", j, nz.Mean[j], nz.Std[j])
		}
	}
}

func TestRealAllBatches(t *testing.T) {
	dir := cifarDir(t)
	if testing.Short() {
		t.Skip("reads all 180 MB")
	}
	src, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSplits(src, AllBatchesSplit(1000))
	if err != nil {
		t.Fatal(err)
	}
	if s.Train.Len() != 49000 || s.Val.Len() != 1000 || s.Test.Len() != 10000 {
		t.Errorf("%d/%d/%d images", s.Train.Len(), s.Val.Len(), s.Test.Len())
	}
	if s.Train.Name != "data_batch_1..5[:49000]" || s.Val.Name != "data_batch_1..5[49000:]" {
		t.Errorf("names %q, %q", s.Train.Name, s.Val.Name)
	}
}
