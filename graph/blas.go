package graph

import (
	"runtime"
	"sync/atomic"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BLASOptions say how UseBLAS sets up the matrix products. The zero value
// is the default: every fast path on.
type BLASOptions struct {
	// NoAVX2 keeps the products off the AVX2+FMA kernels of kernels.go
	// even where the CPU has them, for comparisons (gtrain bench
	// --no-avx2).
	NoAVX2 bool
	// NoAVX512 keeps them off the AVX-512 kernels (the wide products of a
	// stack) where the CPU has them: then the AVX2 kernels run them, with
	// the same bits (gtrain bench --no-avx512).
	NoAVX512 bool
	// Threads bounds the goroutines one matrix product is split over; 0:
	// GOMAXPROCS. A process that trains several stacks at once (a sweep's
	// workers) gives each its share of the cores, so that one stack's
	// split products do not take them from the others. Results do not
	// depend on it.
	Threads int
}

// productThreads is BLASOptions.Threads of the installed BLAS.
var productThreads atomic.Int64

// threads returns how many goroutines a product may use.
func threads() int {
	n := runtime.GOMAXPROCS(0)
	if t := int(productThreads.Load()); t > 0 {
		n = min(n, t)
	}
	return n
}

// UseBLAS installs the build's BLAS (BLAS names it) into Gorgonia and the
// tensor package. Their BLAS is one per process, so this is the caller's
// choice, made once at the start: cmd/gtrain's main calls it, and the
// TestMain of each package whose tests run graphs. Without it Gorgonia runs
// its products on gonum's BLAS as it is. Calling it again with the same
// options changes nothing; with other options it replaces the BLAS, which
// must not happen while a graph runs.
func UseBLAS(opt BLASOptions) {
	productThreads.Store(int64(max(opt.Threads, 0)))
	b := buildBLAS(opt)
	G.Use(b)
	tensor.Use(b)
}

// BLASName describes what the matrix products run on now: the BLAS
// UseBLAS installed, with " + AVX2 kernels" or " + AVX2, AVX-512 kernels"
// where it runs them on this CPU, or Gorgonia's default, gonum's BLAS as
// it is.
func BLASName() string {
	b, ok := G.WhichBLAS().(kernelBLAS)
	switch {
	case !ok:
		return "gonum (as it is)"
	case b.kernels() == avx512Kernels:
		return BLAS + " + AVX2, AVX-512 kernels"
	case b.kernels() == avx2Kernels:
		return BLAS + " + AVX2 kernels"
	}
	return BLAS
}

// kernelBLAS is a BLAS of this package: one that may run the two skinny
// products of a training step on the AVX2 kernels.
type kernelBLAS interface {
	G.BLAS
	kernels() kernelLevel
}
