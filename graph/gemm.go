package graph

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// SkinnyBLAS is gonum's pure-Go BLAS with ?gemm replaced for C = Aᵀ B
// where C has few rows (at most skinnyMax): the classifier's gradient
// ∂W = Gᵀ X (K×d, K = 10). gonum's gemm cuts every product into 64×64
// blocks run on goroutines; for a K×d result that is thousands of 64-long
// axpys and a goroutine hand-off per block. Here each row of B is added,
// whole, to each row of C it contributes to: m·k axpys of length n (about
// 2× less CPU time for ∂W at batch 100, BenchmarkGemm; cutting C into
// column panels that stay in L1 measured slower), split by columns of C
// over the processors when the product is large. Everything else, S = X Wᵀ included (gonum's blocked dot
// products beat a plain loop there), goes to gonum. The loops run in a
// fixed order on one goroutine, so results are deterministic. Where the
// CPU has AVX2 and FMA, both products run on the kernels of kernels.go
// instead (2–4× faster) unless NoAVX2 is set; the axpy otherwise is
// gonum's (SSE assembly). The kernels take the products of any K (10·M
// for a stack of M members): gonum's generic blocked gemm runs those at
// 6–12 GFLOP/s here, the kernels at 75–90 on the 2 cores
// (BenchmarkGemm, K = 160 and 640).
type SkinnyBLAS struct {
	gonum.Implementation
	// NoAVX2 keeps the products off the AVX2 kernels (BLASOptions.NoAVX2):
	// then they are gonum's, but for the dot of 1×1 products and the
	// axpys of the skinny Aᵀ B.
	NoAVX2 bool
	// NoAVX512 keeps them off the AVX-512 kernels (BLASOptions.NoAVX512).
	NoAVX512 bool
}

// kernels reports which kernels the products run on.
func (s SkinnyBLAS) kernels() kernelLevel { return kernelsFor(s.NoAVX2, s.NoAVX512) }

// skinnyMax is the largest small side handled by SkinnyBLAS's loops.
const skinnyMax = 32

// A product is split over at most maxParts goroutines, each with at least
// minPartWork multiply-adds (minKernelWork on the AVX2 kernels) and
// minPartCols columns (Aᵀ B) or minPartRows rows (A Bᵀ) of C. The kernels
// are memory-bound on a batch of 100 (3 M multiply-adds): split over the 2
// cores of this project's machines it took 20–80 % longer than on one, at
// a batch of 500 (15 M) 10–30 % less (BenchmarkGemm).
const (
	maxParts      = 8
	minPartWork   = 1 << 18
	minKernelWork = 1 << 22
	minPartCols   = 256
	minPartRows   = 16
)

// Sgemm computes C = alpha op(A) op(B) + beta C.
func (s SkinnyBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if gemmDot(s.Implementation.Sdot, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c) {
		return
	}
	if s.kernels() > noKernels && !isTrans(tA) && isTrans(tB) && gemmNT(s.kernels(), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		return
	}
	if !skinnyGemm(s.kernels(), s.Implementation.Saxpy, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) &&
		!splitRows(s.Implementation.Sgemm, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		s.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// Dgemm computes C = alpha op(A) op(B) + beta C.
func (s SkinnyBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if gemmDot(s.Implementation.Ddot, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c) {
		return
	}
	if s.kernels() > noKernels && !isTrans(tA) && isTrans(tB) && gemmNT(s.kernels(), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		return
	}
	if !skinnyGemm(s.kernels(), s.Implementation.Daxpy, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) &&
		!splitRows(s.Implementation.Dgemm, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		s.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// splitRows runs C = alpha A Bᵀ + beta C with few columns (at most
// skinnyMax) and too few rows for gonum's own parallelism (fewer than
// 4 blocks of 64×64) as one gonum gemm per band of rows, on goroutines:
// the scores X Wᵀ of a training step. gonum computes each entry of C the
// same way whatever the number of rows, so the result is bit for bit
// gonum's. It returns false, doing nothing, for other products.
func splitRows[T Float](
	gemm func(tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int),
	tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int,
) bool {
	if isTrans(tA) || !isTrans(tB) || m <= 0 || n <= 0 || k <= 0 || n > skinnyMax || (m+63)/64 >= 4 ||
		lda < k || ldb < k || ldc < n || len(a) < lda*(m-1)+k || len(b) < ldb*(n-1)+k || len(c) < ldc*(m-1)+n {
		return false
	}
	if min(threads(), maxParts, m*n*k/minPartWork, m/minPartRows) <= 1 {
		return false
	}
	forChunks(m, 1, minPartRows, m*n*k, minPartWork, func(i0, i1 int) {
		gemm(tA, tB, i1-i0, n, k, alpha, a[i0*lda:], lda, b, ldb, beta, c[i0*ldc:], ldc)
	})
	return true
}

// gemmDot computes a 1×1 product (a row times a column: ‖W‖² in a Lean
// Net) as one dot product and returns true; gonum's gemm blocks it like
// any other product. Other products it leaves to the caller.
func gemmDot[T Float](dot func(n int, x []T, incX int, y []T, incY int) T,
	tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T) bool {
	if m != 1 || n != 1 || k <= 0 || len(c) < 1 {
		return false
	}
	incA, incB := 1, ldb
	if isTrans(tA) {
		incA = lda
	}
	if isTrans(tB) {
		incB = 1
	}
	if len(a) < 1+(k-1)*incA || len(b) < 1+(k-1)*incB {
		return false
	}
	s := alpha * dot(k, a, incA, b, incB)
	if beta != 0 {
		s += beta * c[0]
	}
	c[0] = s
	return true
}

func isTrans(t blas.Transpose) bool { return t == blas.Trans || t == blas.ConjTrans }

// skinnyGemm computes C = alpha op(A) op(B) + beta C (row-major) and
// returns true when the product is one it handles; otherwise it leaves C
// alone and returns false. kern says which kernels it may use (the caller
// checked that the CPU has them).
func skinnyGemm[T Float](
	kern kernelLevel,
	axpy func(n int, alpha T, x []T, incX int, y []T, incY int),
	tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int,
) bool {
	if m <= 0 || n <= 0 || k <= 0 || alpha == 0 {
		return false // gonum's checks, quick returns and scaling
	}
	// Wider products (a stack's ∂W) only where the kernels take them.
	kernels := kern > noKernels
	if isTrans(tA) && !isTrans(tB) && (m <= skinnyMax || kernels && alpha == 1 && m >= 10) {
		// A k×m, B k×n: C[i,:] = alpha Σ_l A[l,i] B[l,:] + beta C[i,:].
		if lda < m || ldb < n || ldc < n || len(a) < lda*(k-1)+m || len(b) < ldb*(k-1)+n || len(c) < ldc*(m-1)+n {
			return false
		}
		// Groups of 10 rows go to the AVX2 kernel (kernels.go) when alpha
		// is 1; the other rows to axpys.
		m10 := 0
		if kernels && alpha == 1 {
			m10 = m / 10 * 10
		}
		// scale sets C[i, j0:j1] *= beta, 0 clearing it.
		scale := func(i, j0, j1 int) {
			ci := c[i*ldc+j0 : i*ldc+j1]
			switch beta {
			case 0:
				clear(ci)
			case 1:
			default:
				for j := range ci {
					ci[j] *= beta
				}
			}
		}
		cols := func(j0, j1 int) {
			// The wide kernel stores its first sums where beta is 0: those
			// entries of C need no clearing.
			jz := j0
			if m10 > 0 && kern == avx512Kernels && beta == 0 {
				jz = wideEnd[T](j0, j1)
			}
			for i := 0; i < m; i++ {
				if i < m10 {
					scale(i, jz, j1)
				} else {
					scale(i, j0, j1)
				}
			}
			if m10 > 0 {
				tnCols(kern, beta == 0, m10, j0, j1, k, a, lda, b, ldb, c, ldc)
			}
			for l := 0; l < k; l++ {
				bl := b[l*ldb+j0 : l*ldb+j1]
				for i, v := range a[l*lda+m10 : l*lda+m] {
					i += m10
					// As gonum: a zero coefficient adds nothing.
					if t := alpha * v; t != 0 {
						axpy(j1-j0, t, bl, 1, c[i*ldc+j0:i*ldc+j1], 1)
					}
				}
			}
		}
		// Large products are split by columns of C over the processors:
		// each entry of C is still summed by one goroutine in the same
		// order, so the result does not depend on the split.
		// Chunks of columns on multiples of 16: which columns the kernels
		// take does not depend on the chunks.
		minWork := minPartWork
		if m10 > 0 {
			minWork = minKernelWork
		}
		align := 16
		if m10 > 0 && kern == avx512Kernels {
			align = 8 * lanes[T]() // the wide kernel's blocks
		}
		forChunks(n, align, minPartCols, m*n*k, minWork, cols)
		return true
	}
	return false
}
