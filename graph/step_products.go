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
	b := G.WhichBLAS()
	step := func() {
		switch any(x).(type) {
		case []float32:
			x, w, g, s, dw := any(x).([]float32), any(w).([]float32), any(g).([]float32), any(s).([]float32), any(dw).([]float32)
			b.Sgemm(blas.NoTrans, blas.Trans, rows, k, d, 1, x, d, w, d, 0, s, k)
			b.Sgemm(blas.Trans, blas.NoTrans, k, d, rows, 1, g, k, x, d, 0, dw, d)
		case []float64:
			x, w, g, s, dw := any(x).([]float64), any(w).([]float64), any(g).([]float64), any(s).([]float64), any(dw).([]float64)
			b.Dgemm(blas.NoTrans, blas.Trans, rows, k, d, 1, x, d, w, d, 0, s, k)
			b.Dgemm(blas.Trans, blas.NoTrans, k, d, rows, 1, g, k, x, d, 0, dw, d)
		}
	}
	step() // warm the caches and the buffers' pools
	t0 := time.Now()
	for range steps {
		step()
	}
	return time.Since(t0)
}
