package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestUpdateTN: the fused update gives the bits of the product Gᵀ X on
// the installed BLAS (stored, then copied out, as the graph's ∂W) followed
// by ScaleAxpy row by row, in both dtypes, for a 16-member step, a
// lone-sized one, the largest batch it takes, a coefficient of 1 (λ = 0)
// and groups left alone (frozen members).
func TestUpdateTN(t *testing.T) {
	if !UpdateTNApplies[float32](100, 3072, 160) {
		t.Skip("no AVX-512 kernels on this CPU")
	}
	for _, c := range []struct{ rows, d, k int }{{100, 3072, 160}, {7, 64, 10}, {tnRows, 192, 20}} {
		t.Run(fmt.Sprintf("rows=%d,d=%d,K=%d", c.rows, c.d, c.k), func(t *testing.T) {
			testUpdateTN[float32](t, c.rows, c.d, c.k)
			testUpdateTN[float64](t, c.rows, c.d, c.k)
		})
	}
	if UpdateTNApplies[float32](tnRows+1, 3072, 160) || UpdateTNApplies[float32](100, 3000, 160) || UpdateTNApplies[float64](100, 3072, 12) || UpdateTNApplies[float32](100, 3072, 15) {
		t.Error("UpdateTNApplies takes shapes the kernel does not")
	}
}

func testUpdateTN[T Float](t *testing.T, rows, d, k int) {
	rng := rand.New(rand.NewPCG(uint64(rows), uint64(k)))
	vals := func(n int) []T {
		v := make([]T, n)
		for i := range v {
			v[i] = T(rng.NormFloat64())
		}
		return v
	}
	w, g, x := vals(k*d), vals(rows*k), vals(rows*d)
	a, b, on := make([]T, k), make([]T, k), make([]bool, k)
	for r := 0; r < k; r += 5 {
		coefA, coefB := T(1-2*0.01*float64(r)), T(-0.001*float64(r+1))
		if r == 5 {
			coefA = 1
		}
		for q := r; q < r+5; q++ {
			a[q], b[q], on[q] = coefA, coefB, r != 10
		}
	}
	want := slices.Clone(w)
	dw := make([]T, k*d)
	gemmOnBLAS(blas.Trans, blas.NoTrans, k, d, rows, g, k, x, d, dw, d)
	for r := 0; r < k; r++ {
		if on[r] {
			ScaleAxpy(a[r], want[r*d:(r+1)*d], b[r], dw[r*d:(r+1)*d])
		}
	}
	UpdateTN(w, d, g, x, rows, a, b, on)
	for i := range w {
		if math.Float64bits(float64(w[i])) != math.Float64bits(float64(want[i])) {
			t.Fatalf("%T: entry %d (row %d): %v, want %v", w[0], i, i/d, w[i], want[i])
		}
	}
}
