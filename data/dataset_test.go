package data

import (
	"bytes"
	"slices"
	"testing"
)

func TestDefaultClasses(t *testing.T) {
	c := DefaultClasses()
	want := []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
	if !slices.Equal(c, want) {
		t.Fatalf("DefaultClasses() = %v, want %v", c, want)
	}
	c[0] = "changed"
	if DefaultClasses()[0] != "airplane" {
		t.Error("DefaultClasses returned shared storage")
	}
}

func TestSliceAndImage(t *testing.T) {
	ds := makeDataset("b", 1, 5)
	for _, tc := range []struct{ from, to int }{{0, 5}, {1, 3}, {4, 5}, {2, 2}} {
		s := ds.Slice(tc.from, tc.to)
		if s.Len() != tc.to-tc.from {
			t.Fatalf("Slice(%d, %d).Len() = %d", tc.from, tc.to, s.Len())
		}
		for i := range s.Len() {
			if !bytes.Equal(s.Image(i), ds.Image(tc.from+i)) || s.Labels[i] != ds.Labels[tc.from+i] {
				t.Errorf("Slice(%d, %d) image %d differs", tc.from, tc.to, i)
			}
		}
	}
	s := ds.Slice(1, 3)
	if s.Name != "b[1:3]" {
		t.Errorf("name %q, want b[1:3]", s.Name)
	}
	s.Pixels[0]++
	if s.Pixels[0] != ds.Image(1)[0] {
		t.Error("Slice does not share memory")
	}
	// Appending to a slice must not overwrite the next image.
	next := ds.Image(3)[0]
	_ = append(s.Pixels, 0xaa)
	_ = append(s.Image(1), 0xaa)
	if ds.Image(3)[0] != next {
		t.Error("append to a slice overwrote the following image")
	}
}

func TestSlicePanics(t *testing.T) {
	ds := makeDataset("b", 1, 3)
	for _, tc := range []struct{ from, to int }{{-1, 2}, {2, 1}, {0, 4}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Slice(%d, %d) did not panic", tc.from, tc.to)
				}
			}()
			ds.Slice(tc.from, tc.to)
		}()
	}
}

func TestConcat(t *testing.T) {
	a, b := makeDataset("a", 1, 2), makeDataset("b", 2, 3)
	b.Classes = nil
	c := Concat("a+b", a, b.Slice(1, 3))
	if c.Name != "a+b" || c.Len() != 4 {
		t.Fatalf("Concat: name %q, %d images", c.Name, c.Len())
	}
	want := [][]uint8{a.Image(0), a.Image(1), b.Image(1), b.Image(2)}
	for i, w := range want {
		if !bytes.Equal(c.Image(i), w) {
			t.Errorf("image %d differs", i)
		}
	}
	if !bytes.Equal(c.Labels, []uint8{a.Labels[0], a.Labels[1], b.Labels[1], b.Labels[2]}) {
		t.Errorf("labels %v", c.Labels)
	}
	if !slices.Equal(c.Classes, a.Classes) {
		t.Errorf("classes %v, want those of the first part", c.Classes)
	}
	c.Pixels[0]++
	if c.Pixels[0] == a.Pixels[0] {
		t.Error("Concat shares memory with its parts")
	}
	if e := Concat("empty"); e.Len() != 0 || len(e.Classes) != NumClasses {
		t.Errorf("Concat of nothing: %d images, classes %v", e.Len(), e.Classes)
	}
}
