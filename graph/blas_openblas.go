//go:build openblas

package graph

/*
#cgo LDFLAGS: -lopenblas
*/
import "C"

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// With the openblas build tag, Gorgonia's graphs and the tensor package run
// their matrix products on OpenBLAS (Debian: libopenblas-dev) through cgo
// (UseBLAS installs it), except the two skinny products of a training step
// where the CPU has AVX2: there the kernels of kernels.go took 30–40 % less
// time than OpenBLAS 0.3.21 on one thread, and half on two.
func buildBLAS(opt BLASOptions) G.BLAS {
	return openBLAS{noAVX2: opt.NoAVX2, noAVX512: opt.NoAVX512}
}

// BLAS names the BLAS UseBLAS installs.
const BLAS = "openblas"

type openBLAS struct {
	netlib.Implementation
	noAVX2   bool // BLASOptions.NoAVX2
	noAVX512 bool // BLASOptions.NoAVX512
}

// kernels reports which kernels the skinny products run on.
func (o openBLAS) kernels() kernelLevel { return kernelsFor(o.noAVX2, o.noAVX512) }

func (o openBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if gemmDot(o.Implementation.Sdot, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c) {
		return
	}
	if o.kernels() > noKernels && (!isTrans(tA) && isTrans(tB) && gemmNT(o.kernels(), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) ||
		alpha == 1 && m%10 == 0 && skinnyGemm(o.kernels(), o.Implementation.Saxpy, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) {
		return
	}
	o.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (o openBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if gemmDot(o.Implementation.Ddot, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c) {
		return
	}
	if o.kernels() > noKernels && (!isTrans(tA) && isTrans(tB) && gemmNT(o.kernels(), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) ||
		alpha == 1 && m%10 == 0 && skinnyGemm(o.kernels(), o.Implementation.Daxpy, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) {
		return
	}
	o.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
