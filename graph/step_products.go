package graph

import (
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
)

// StepProducts runs the two matrix products of steps training steps of a
// stacked graph with k outputs (10·M) on batches of rows × d, S = X Wᵀ and
// ∂W = Gᵀ X, on the BLAS that UseBLAS installed, as the graph's ops call
// it, and returns their wall time: the floor under a step that gtrain
// bench --stack prints beside the step's own time.
func StepProducts[T Float](rows, d, k, steps int) time.Duration {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []T {
		v := make([]T, n)
		for i := range v {
			v[i] = T(rng.Float64() - 0.5)
		}
		return v
	}
	x, w, g := fill(rows*d), fill(k*d), fill(rows*k)
	s, dw := make([]T, rows*k), make([]T, k*d)
	step := func() {
		gemmOnBLAS(blas.NoTrans, blas.Trans, rows, k, d, x, d, w, d, s, k)
		gemmOnBLAS(blas.Trans, blas.NoTrans, k, d, rows, g, k, x, d, dw, d)
	}
	step() // warm the caches and the buffers' pools
	t0 := time.Now()
	for range steps {
		step()
	}
	return time.Since(t0)
}

// gemmOnBLAS sets C = op(A) op(B) on the BLAS Gorgonia's ops call.
func gemmOnBLAS[T Float](tA, tB blas.Transpose, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	switch a := any(a).(type) {
	case []float32:
		G.WhichBLAS().Sgemm(tA, tB, m, n, k, 1, a, lda, any(b).([]float32), ldb, 0, any(c).([]float32), ldc)
	case []float64:
		G.WhichBLAS().Dgemm(tA, tB, m, n, k, 1, a, lda, any(b).([]float64), ldb, 0, any(c).([]float64), ldc)
	}
}
