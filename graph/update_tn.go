package graph

import (
	"unsafe"

	G "gorgonia.org/gorgonia"

	"github.com/gtrain/gtrain/graph/internal/simd"
)

// A stack's update, W ← a W + b ∂W row by row with ∂W = Gᵀ X, as one pass:
// the AVX-512 TN kernel forms 5 rows × 64 columns (32 in float64) of ∂W in
// registers and updates those entries of W from them. Through the graph,
// ∂W went to its register (2 MB for 16 float32 members), then to the Read
// copy, and the update read it back with W: three passes over 2 MB that
// missed the caches, 17 % of a 16-member step's CPU time. The bits are those of that
// path: each entry is the TN product's chain of fused multiply-adds plus
// +0 (SgemmTN5x64Z's stored sums), then ScaleAxpy's roundings.

// UpdateTNApplies reports whether UpdateTN gives the bits of the graph's
// ∂W for a product of rows rows (the batch), d columns and K rows of W (a
// member's classes, or a stack's M·K) on the BLAS UseBLAS installed: the
// product runs on the AVX-512 TN kernel where the kernels are on and K is
// a multiple of 10 (skinnyGemm's groups; the rows past them take other
// loops, and in the OpenBLAS build OpenBLAS), with the rows in one block
// of the kernel's chains (tnRows) and d a multiple of its columns.
func UpdateTNApplies[T Float](rows, d, k int) bool {
	b, ok := G.WhichBLAS().(kernelBLAS)
	return ok && b.kernels() == avx512Kernels && rows > 0 && rows <= tnRows &&
		d > 0 && d%(8*lanes[T]()) == 0 && k > 0 && k%10 == 0
}

// UpdateTN sets row r of w (K×d, row-major) to a[r]·w_r + b[r]·∂W_r, with
// ∂W = Gᵀ X (g rows×K, x rows×d), for the rows r with on[r]; on must be
// the same for the 5 rows of each group from row 0 (a member's rows are
// whole groups). The caller checked UpdateTNApplies. Columns are split
// over the cores as the TN product's are; each entry is computed by one
// goroutine, so the result does not depend on the split.
func UpdateTN[T Float](w []T, d int, g, x []T, rows int, a, b []T, on []bool) {
	k := len(a)
	_, _, _, _, _ = w[k*d-1], g[rows*k-1], x[rows*d-1], b[k-1], on[k-1]
	width := 8 * lanes[T]()
	cols := func(j0, j1 int) {
		for j := j0; j < j1; j += width {
			for r := 0; r < k; r += 5 {
				if on[r] {
					tnUpdate(rows, &g[r], k, &x[j], d, &w[r*d+j], d, (*[5]T)(a[r:r+5]), (*[5]T)(b[r:r+5]))
				}
			}
		}
	}
	forChunks(d, width, minPartCols, k*d*rows, minKernelWork, cols)
}

func tnUpdate[T Float](k int, a *T, lda int, b *T, ldb int, w *T, ldw int, sa, sb *[5]T) {
	switch any(a).(type) {
	case *float32:
		simd.SgemmTN5x64U(k, (*float32)(unsafe.Pointer(a)), lda, (*float32)(unsafe.Pointer(b)), ldb, (*float32)(unsafe.Pointer(w)), ldw,
			(*[5]float32)(unsafe.Pointer(sa)), (*[5]float32)(unsafe.Pointer(sb)))
	case *float64:
		simd.DgemmTN5x32U(k, (*float64)(unsafe.Pointer(a)), lda, (*float64)(unsafe.Pointer(b)), ldb, (*float64)(unsafe.Pointer(w)), ldw,
			(*[5]float64)(unsafe.Pointer(sa)), (*[5]float64)(unsafe.Pointer(sb)))
	}
}
