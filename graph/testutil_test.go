package graph

import "math/rand/v2"

// randomProblem returns parameters and a batch of n samples with d
// dimensions drawn from a fixed seed, scaled like normalized CIFAR inputs.
func randomProblem[T Float](seed uint64, k, d, n int) (*Params[T], Batch[T], []T) {
	rng := rand.New(rand.NewPCG(seed, 1))
	p := NewParams[T](k, d)
	p.InitGaussian(rng, 0.1)
	b := Batch[T]{X: make([]T, n*d), Labels: make([]uint8, n)}
	for i := range b.X {
		b.X[i] = T(rng.NormFloat64())
	}
	for i := range b.Labels {
		b.Labels[i] = uint8(rng.IntN(k))
	}
	return p, b, oneHot[T](b.Labels, k)
}

func oneHot[T Float](labels []uint8, k int) []T {
	y := make([]T, len(labels)*k)
	for i, c := range labels {
		y[i*k+int(c)] = 1
	}
	return y
}

// maxRelErr returns max |a−b| / max(floor, |a|+|b|). floor keeps entries
// that are zero up to rounding (an SVM bias gradient that sums to 0 is
// ~1e-9 in float32) from counting as 100 % errors.
func maxRelErr[A, B Float](a []A, b []B, floor float64) float64 {
	var m float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		den := abs(x) + abs(y)
		if den < floor {
			den = floor
		}
		if r := abs(x-y) / den; r > m {
			m = r
		}
	}
	return m
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
