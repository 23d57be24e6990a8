package augment

import (
	"math"
	"math/rand/v2"
	"testing"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// constBatch returns n images with every value v.
func constBatch(n int, v float64) []float64 {
	x := make([]float64, n*imageSize)
	for i := range x {
		x[i] = v
	}
	return x
}

// randomBatch returns n images of random 8-bit values in pixel units.
func randomBatch(n int, seed uint64) []float64 {
	r := newRNG(seed)
	x := make([]float64, n*imageSize)
	for i := range x {
		x[i] = float64(r.IntN(256)) / 255
	}
	return x
}

// at returns the index of channel c, row y, column x of image i.
func at(i, c, y, x int) int { return i*imageSize + c*plane + y*side + x }

// mirror returns img (one image) flipped left to right, computed from
// the definition.
func mirror(img []float64) []float64 {
	out := make([]float64, imageSize)
	for c := range 3 {
		for y := range side {
			for x := range side {
				out[at(0, c, y, x)] = img[at(0, c, y, side-1-x)]
			}
		}
	}
	return out
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// meanStd returns the mean and population standard deviation of v.
func meanStd(v []float64) (float64, float64) {
	var s, ss float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(v)))
}

// within fails t unless |got-want| ≤ tol.
func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g ± %.3g", what, got, want, tol)
	}
}

func mustParse(t testing.TB, specs ...string) *Pipeline {
	t.Helper()
	p, err := Parse(specs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
