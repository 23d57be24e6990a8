package graph

import (
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"

	"github.com/gtrain/gtrain/graph/internal/simd"
)

// The two products of a training step, S = X Wᵀ (NT: A n×d times Bᵀ, B
// K×d) and ∂W = Gᵀ X (TN: Aᵀ B, A n×K, B n×d), on the AVX2+FMA kernels of
// package graph/internal/simd where the CPU has them. Both are skinny
// (K = 10): gonum's blocked gemm runs them on 4-wide SSE dot and axpy
// loops; the kernels keep
// ten 8-wide accumulators in registers, load each element of the wide
// operand once per ten products, and use fused multiply-adds. Results are
// deterministic: every entry is summed in a fixed order, whatever the
// number of goroutines (split points fall on kernel boundaries).

// forChunks runs do over [0, n) cut into chunks of a multiple of align
// elements (the last one shorter), on up to threads() goroutines (the
// caller's and the product helpers', runParts), each taking the next chunk
// until none is left, so the caller is never held up by a helper that
// starts late. Chunk boundaries do not depend on who runs a chunk, so
// neither do the results. work is the product's multiply-adds: products
// under 2·minWork run on the caller alone, as do those with fewer than two
// chunks of minChunk.
func forChunks(n, align, minChunk, work, minWork int, do func(lo, hi int)) {
	workers := min(threads(), maxParts, work/minWork, n/minChunk)
	if workers <= 1 {
		do(0, n)
		return
	}
	size := (n + 4*workers - 1) / (4 * workers)
	size = max((size+align-1)/align*align, align)
	runParts((n+size-1)/size, workers, func(c int) { do(c*size, min((c+1)*size, n)) })
}

// kernelLevel says which assembly kernels a product may use.
type kernelLevel int

const (
	noKernels     kernelLevel = iota // gonum's loops
	avx2Kernels                      // the AVX2+FMA kernels
	avx512Kernels                    // those and the AVX-512 kernels of the wide products
)

// kernelsFor returns the kernels the CPU has, less those turned off.
func kernelsFor(noAVX2, noAVX512 bool) kernelLevel {
	switch {
	case !simd.Available || noAVX2:
		return noKernels
	case !simd.Available512 || noAVX512:
		return avx2Kernels
	}
	return avx512Kernels
}

// lanes is the number of T in a 256-bit register.
func lanes[T Float]() int {
	var z T
	return 32 / int(unsafe.Sizeof(z))
}

// gemmNT computes C = alpha A Bᵀ + beta C (row-major; A m×k, B n×k, C m×n)
// for any n (K = 10 for a lone run, 10·M for a stack) and returns whether
// it did (false for inconsistent sizes, left to gonum); the
// caller checked that they are to be used (SkinnyBLAS.kernels).
// Pairs of rows of A against groups of 5 rows of B go to the kernel (with
// AVX-512, blocks of 8 rows first: the same lanes per entry); an odd last
// row, n mod 5 columns and k's tail past the last full register are summed
// in Go.
func gemmNT[T Float](kern kernelLevel, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) bool {
	if m <= 0 || n <= 0 || k <= 0 ||
		lda < k || ldb < k || ldc < n || len(a) < lda*(m-1)+k || len(b) < ldb*(n-1)+k || len(c) < ldc*(m-1)+n {
		return false
	}
	// Chunks of an even number of rows: the kernel takes rows in pairs
	// (and in eights with AVX-512).
	// The AVX-512 kernel packs 8 rows of A for every 8 rows of C: in
	// float32 worth it from 8 groups of 5 columns on (BenchmarkGemm: a
	// lone run's K = 10 took 60 % more CPU time packed); in float64, whose
	// AVX2 kernel is load-bound, already at a lone run's K = 10 (1.6–2×
	// faster at 100 and 10 000 rows).
	wide := kern == avx512Kernels && (n >= 40 || lanes[T]() == 4 && n >= 10)
	align := 2
	if wide {
		align = 8
	}
	forChunks(m, align, minPartRows, m*n*k, minKernelWork, func(i0, i1 int) {
		ntRows(wide, i0, i1, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	})
	return true
}

// ntRows computes rows [i0, i1) of gemmNT's product; wide says that
// blocks of 8 rows go to the AVX-512 kernel.
func ntRows[T Float](wide bool, i0, i1, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	w := lanes[T]()
	kk := k / w * w // the kernel's part of each dot product
	n5 := n / 5 * 5
	var out [80]T
	set := func(i, j int, s T) {
		if beta == 0 {
			c[i*ldc+j] = alpha * s
		} else {
			c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
		}
	}
	dot := func(i, j, from int) T {
		var s T
		ai, bj := a[i*lda:i*lda+k], b[j*ldb:j*ldb+k]
		for l := from; l < k; l++ {
			s += ai[l] * bj[l]
		}
		return s
	}
	sum := func(lanes []T) T {
		var s T
		for _, v := range lanes {
			s += v
		}
		return s
	}
	i := i0
	if wide && kk > 0 && i+2 <= i1 {
		// Whole groups of 8 rows, then the pairs left as one group padded
		// with zero rows (a batch of 100 leaves 4): each entry's lanes do
		// not depend on the other rows of its group.
		i8 := i + (i1-i)/8*8
		if i8 > i {
			ntWide(i, i8, i8, n5, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}
		if r := (i1 - i8) / 2 * 2; r > 0 {
			buf := getBuf[T](&padBufs, 8*k)
			pad := *buf
			for q := 0; q < r; q++ {
				copy(pad[q*k:(q+1)*k], a[(i8+q)*lda:(i8+q)*lda+k])
			}
			clear(pad[r*k:])
			ntWide(0, 8, r, n5, k, alpha, pad, k, b, ldb, beta, c[i8*ldc:], ldc)
			putBuf(&padBufs, buf)
			i8 += r
		}
		for j := n5; j < n; j++ {
			for r := i; r < i8; r++ {
				set(r, j, dot(r, j, 0))
			}
		}
		i = i8
	}
	for ; i+1 < i1; i += 2 {
		for j := 0; j < n5; j += 5 {
			if kk > 0 {
				ntKernel(kk/w, &a[i*lda], &a[(i+1)*lda], &b[j*ldb], ldb, &out)
			}
			for r := 0; r < 2; r++ {
				for q := 0; q < 5; q++ {
					var s T // the kernel's lanes, then the tail
					if kk > 0 {
						s = sum(out[(5*r+q)*w : (5*r+q+1)*w])
					}
					set(i+r, j+q, s+dot(i+r, j+q, kk))
				}
			}
		}
		for j := n5; j < n; j++ {
			set(i, j, dot(i, j, 0))
			set(i+1, j, dot(i+1, j, 0))
		}
	}
	if i < i1 {
		for j := 0; j < n; j++ {
			set(i, j, dot(i, j, 0))
		}
	}
}

func ntKernel[T Float](chunks int, a0, a1, b *T, ldb int, out *[80]T) {
	switch any(a0).(type) {
	case *float32:
		simd.SgemmNT2x5(chunks, (*float32)(unsafe.Pointer(a0)), (*float32)(unsafe.Pointer(a1)), (*float32)(unsafe.Pointer(b)), ldb, (*[80]float32)(unsafe.Pointer(out)))
	case *float64:
		simd.DgemmNT2x5(chunks, (*float64)(unsafe.Pointer(a0)), (*float64)(unsafe.Pointer(a1)), (*float64)(unsafe.Pointer(b)), ldb, (*[40]float64)(unsafe.Pointer(out)))
	}
}

// The blocking of ntWide: rows in blocks of ntGroups·8, columns in blocks
// of ntCols, k in blocks of ntDepth chunks (2 KiB of a row in either
// dtype). A block of B is then 320 KiB and the carried sums of a block of
// rows and columns 240 KiB: both stay in a 1 MiB L2 (Zen 4, Sapphire
// Rapids), and a block of 8 packed rows (16 KiB) in L1.
const (
	ntGroups    = 6
	ntCols      = 160
	ntDepth     = 64
	ntUnblocked = 256 << 10 // the largest B (bytes) left unblocked
)

// ntWide computes, on the AVX-512 kernel, rows [i0, i1) (a multiple of 8
// of them; those from m on are padding, not written) and the first n5
// columns (a multiple of 5) of gemmNT's product,
// each entry the kernel's lane sums plus k's tail past the last full
// register, as ntRows sums them. Unblocked, every 8 rows streamed all of B
// (3.9 MB for a 16-member stack in float64) from L3; here a block of B is
// reused by ntGroups·8 rows while it sits in L2. Between blocks of k the
// kernel carries its sums (SgemmNT8x5's carry), so each entry's lanes are
// the chains of fused multiply-adds of one unblocked call: the blocking
// changes no bit.
func ntWide[T Float](i0, i1, m, n5, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	w := lanes[T]()
	slot := 40 * w // one kernel call's sums: 8 rows × 5 columns × w lanes
	chunks := k / w
	kw := chunks * w
	// A B that fits in L2 as it is (a lone run's K = 10 in float64) is
	// not blocked: 8 rows at a time, packed just before the kernel takes
	// them (packing 48 rows first cost a lone float64 product 14 %).
	groups, depth := 1, chunks
	var z T
	if n5*kw*int(unsafe.Sizeof(z)) > ntUnblocked {
		groups, depth = min(ntGroups, (i1-i0)/8), ntDepth
	}
	cols := min(ntCols, n5)
	pbuf := getBuf[T](&packBufs, groups*8*kw)
	defer putBuf(&packBufs, pbuf)
	abuf := getBuf[T](&accBufs, groups*cols/5*slot+320) // room for a whole [320]T at the last slot
	defer putBuf(&accBufs, abuf)
	packed, acc := *pbuf, *abuf
	for r0 := i0; r0 < i1; r0 += 8 * groups {
		gn := min(groups, (i1-r0)/8)
		for g := 0; g < gn; g++ {
			pack8(chunks, &a[(r0+8*g)*lda], lda, packed[g*8*kw:])
		}
		for j0 := 0; j0 < n5; j0 += cols {
			qn := min(cols, n5-j0) / 5
			for c0 := 0; c0 < chunks; c0 += depth {
				cn := min(depth, chunks-c0)
				for g := 0; g < gn; g++ {
					ap := &packed[g*8*kw+c0*8*w]
					for q := 0; q < qn; q++ {
						ntKernel8(cn, ap, &b[(j0+5*q)*ldb+c0*w], ldb, (*[320]T)(acc[(g*qn+q)*slot:]), c0 > 0)
					}
				}
			}
			for g := 0; g < gn; g++ {
				for q := 0; q < qn; q++ {
					ntWrite(acc[(g*qn+q)*slot:], r0+8*g, m, j0+5*q, kw, k, alpha, a, lda, b, ldb, beta, c, ldc)
				}
			}
		}
	}
}

// ntWrite writes the 8×5 entries of C at row r (those before row m) and
// column j from one kernel call's lane sums o: the lanes summed in order,
// plus the dot product of k's tail [kw, k), times alpha, plus beta·C;
// ntRows's sums. Each entry's lanes are added in one unrolled expression,
// in the same order (the loop over them, with its bounds checks, cost 6 %
// of a 16-member stack's sweep), and the common case is written directly.
func ntWrite[T Float](o []T, r, m, j, kw, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	w := lanes[T]()
	o = o[:40*w]
	// Entry e = (5p + jj)·2 + h holds row r + 2p + h, column j + jj.
	var s [40]T
	if w == 8 {
		for e := range s {
			l := o[e*8 : e*8+8 : e*8+8]
			s[e] = 0 + l[0] + l[1] + l[2] + l[3] + l[4] + l[5] + l[6] + l[7]
		}
	} else {
		for e := range s {
			l := o[e*4 : e*4+4 : e*4+4]
			s[e] = 0 + l[0] + l[1] + l[2] + l[3]
		}
	}
	if kw == k && beta == 0 && r+8 <= m {
		// The common case: no tail, no beta, all 8 rows.
		for e, v := range s {
			c[(r+e/10*2+e%2)*ldc+j+e/2%5] = alpha * v
		}
		return
	}
	for e, v := range s {
		p, jj, h := e/10, e/2%5, e%2
		row, col := r+2*p+h, j+jj
		if row >= m {
			continue
		}
		var t T
		if kw < k {
			ai, bj := a[row*lda+kw:row*lda+k], b[col*ldb+kw:col*ldb+k]
			for l, x := range ai {
				t += x * bj[l]
			}
		}
		v += t
		if ci := &c[row*ldc+col]; beta == 0 {
			*ci = alpha * v
		} else {
			*ci = alpha*v + beta**ci
		}
	}
}

// floatPools hold reusable buffers of either dtype: each chunk of a
// product would otherwise allocate its buffers (96 KiB per 8 packed rows
// in float32 at d = 3072) for every step.
type floatPools struct{ f32, f64 sync.Pool }

// packBufs hold ntWide's packed rows, accBufs its carried sums, padBufs
// the last rows of a product padded to a group of 8.
var packBufs, accBufs, padBufs floatPools

// getBuf returns a buffer of n elements from the pool of T.
func getBuf[T Float](fp *floatPools, n int) *[]T {
	p := &fp.f64
	if lanes[T]() == 8 {
		p = &fp.f32
	}
	if b, ok := p.Get().(*[]T); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	s := make([]T, n)
	return &s
}

func putBuf[T Float](fp *floatPools, b *[]T) {
	if lanes[T]() == 8 {
		fp.f32.Put(b)
	} else {
		fp.f64.Put(b)
	}
}

// pack8 lays out chunks of 8 rows of A (row i at a + i·lda) for ntKernel8.
func pack8[T Float](chunks int, a *T, lda int, dst []T) {
	var z T
	size := int(unsafe.Sizeof(z))
	_ = dst[chunks*8*32/size-1]
	simd.Pack8Rows(chunks, unsafe.Pointer(a), lda*size, unsafe.Pointer(&dst[0]))
}

// ntKernel8 runs the AVX-512 kernel of 8 packed rows of A against 5 of B,
// its sums carried from out's (carry) or from zero.
func ntKernel8[T Float](chunks int, ap *T, b *T, ldb int, out *[320]T, carry bool) {
	switch any(ap).(type) {
	case *float32:
		simd.SgemmNT8x5(chunks, (*float32)(unsafe.Pointer(ap)), (*float32)(unsafe.Pointer(b)), ldb, (*[320]float32)(unsafe.Pointer(out)), carry)
	case *float64:
		simd.DgemmNT8x5(chunks, (*float64)(unsafe.Pointer(ap)), (*float64)(unsafe.Pointer(b)), ldb, (*[160]float64)(unsafe.Pointer(out)), carry)
	}
}

// tnCols adds to rows [0, m10) and columns [j0, j1) of C the product Aᵀ B
// (A k×m, B k×n, alpha 1) in groups of 10 rows, m10 a multiple of 10: the
// kernel takes a register's width of columns at a time, Go the columns
// past the last full register. With AVX-512 (kern) blocks of 8 registers'
// width go first to the wide kernel, 5 rows at a time: the block of B
// (at most tnRows rows) stays in L1 while every row of C takes it, where
// the 10-row groups below read all of B once per group.
//
// store says that the wide kernel's first sums are stored rather than
// added (the caller left those entries of C uncleared, beta being 0:
// wideEnd gives them): the same bits as added to zeros.
func tnCols[T Float](kern kernelLevel, store bool, m10, j0, j1, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	w := lanes[T]()
	if kern == avx512Kernels {
		jz := wideEnd[T](j0, j1)
		for l0 := 0; l0 < k; l0 += tnRows {
			kb := min(tnRows, k-l0)
			for j := j0; j < jz; j += 8 * w {
				for g := 0; g < m10; g += 5 {
					tnKernel8(store && l0 == 0, kb, &a[l0*lda+g], lda, &b[l0*ldb+j], ldb, &c[g*ldc+j], ldc)
				}
			}
		}
		j0 = jz
	}
	jw := j0 + (j1-j0)/w*w
	for g := 0; g < m10; g += 10 {
		// Blocks of tnRows rows of B: the kernel reads a register's width
		// of each row, half a cache line or less, and the next call the
		// rest of the line, which must still be in L1.
		// Two registers' width at a time in two halves of 5 rows
		// (tnKernel2: each row of B loaded once per 10 products of two
		// registers), a last register's width in one call of 10 rows: the
		// same sums per entry.
		for l0 := 0; l0 < k; l0 += tnRows {
			kb := min(tnRows, k-l0)
			j := j0
			for ; j+2*w <= jw; j += 2 * w {
				tnKernel2(kb, &a[l0*lda+g], lda, &b[l0*ldb+j], ldb, &c[g*ldc+j], ldc)
				tnKernel2(kb, &a[l0*lda+g+5], lda, &b[l0*ldb+j], ldb, &c[(g+5)*ldc+j], ldc)
			}
			for ; j < jw; j += w {
				tnKernel(kb, &a[l0*lda+g], lda, &b[l0*ldb+j], ldb, &c[g*ldc+j], ldc)
			}
		}
		for r := g; r < g+10; r++ {
			for j := jw; j < j1; j++ {
				var s T
				for l := 0; l < k; l++ {
					s += a[l*lda+r] * b[l*ldb+j]
				}
				c[r*ldc+j] += s
			}
		}
	}
}

// tnRows is the number of rows of B per pass of the TN kernel: 128 cache
// lines, 8 KiB of L1.
const tnRows = 128

func tnKernel[T Float](k int, a *T, lda int, b *T, ldb int, c *T, ldc int) {
	switch any(a).(type) {
	case *float32:
		simd.SgemmTN10x8(k, (*float32)(unsafe.Pointer(a)), lda, (*float32)(unsafe.Pointer(b)), ldb, (*float32)(unsafe.Pointer(c)), ldc)
	case *float64:
		simd.DgemmTN10x4(k, (*float64)(unsafe.Pointer(a)), lda, (*float64)(unsafe.Pointer(b)), ldb, (*float64)(unsafe.Pointer(c)), ldc)
	}
}

// wideEnd returns the end of the columns [j0, j) that tnCols gives the
// wide kernel: whole blocks of 8 registers' width from j0.
func wideEnd[T Float](j0, j1 int) int {
	bw := 8 * lanes[T]()
	return j0 + (j1-j0)/bw*bw
}

// tnKernel8 is tnKernel for 5 rows of 8 registers' width (four 512-bit),
// storing the sums instead of adding them with store.
func tnKernel8[T Float](store bool, k int, a *T, lda int, b *T, ldb int, c *T, ldc int) {
	switch any(a).(type) {
	case *float32:
		simd.SgemmTN5x64Z(k, (*float32)(unsafe.Pointer(a)), lda, (*float32)(unsafe.Pointer(b)), ldb, (*float32)(unsafe.Pointer(c)), ldc, store)
	case *float64:
		simd.DgemmTN5x32Z(k, (*float64)(unsafe.Pointer(a)), lda, (*float64)(unsafe.Pointer(b)), ldb, (*float64)(unsafe.Pointer(c)), ldc, store)
	}
}

// tnKernel2 is tnKernel for 5 rows of two registers' width.
func tnKernel2[T Float](k int, a *T, lda int, b *T, ldb int, c *T, ldc int) {
	switch any(a).(type) {
	case *float32:
		simd.SgemmTN5x16(k, (*float32)(unsafe.Pointer(a)), lda, (*float32)(unsafe.Pointer(b)), ldb, (*float32)(unsafe.Pointer(c)), ldc)
	case *float64:
		simd.DgemmTN5x8(k, (*float64)(unsafe.Pointer(a)), lda, (*float64)(unsafe.Pointer(b)), ldb, (*float64)(unsafe.Pointer(c)), ldc)
	}
}

// Axpy sets y += alpha·x, element by element (len(y) ≥ len(x)), on gonum's
// assembly loops: the same roundings as the plain loop y[i] += alpha*x[i]
// (one product, one sum), 4 or 2 elements at a time.
func Axpy[T Float](alpha T, x, y []T) {
	if len(x) == 0 {
		return
	}
	switch x := any(x).(type) {
	case []float32:
		gonum.Implementation{}.Saxpy(len(x), float32(alpha), x, 1, any(y).([]float32), 1)
	case []float64:
		gonum.Implementation{}.Daxpy(len(x), float64(alpha), x, 1, any(y).([]float64), 1)
	}
}

// ScaleAxpy sets x = a·x + b·y element by element (len(y) ≥ len(x)): the
// bits of Scale(a, x) followed by Axpy(b, y, x), in one pass over x on the
// AVX2 kernels where the CPU has them (the update of W, memory-bound).
func ScaleAxpy[T Float](a T, x []T, b T, y []T) {
	if len(x) == 0 {
		return
	}
	_ = y[len(x)-1]
	if !simd.Available {
		Scale(a, x)
		Axpy(b, y[:len(x)], x)
		return
	}
	switch x := any(x).(type) {
	case []float32:
		simd.SscaleAxpy(len(x), float32(a), &x[0], float32(b), &any(y).([]float32)[0])
	case []float64:
		simd.DscaleAxpy(len(x), float64(a), &x[0], float64(b), &any(y).([]float64)[0])
	}
}

// Scale sets x *= alpha, element by element, on gonum's assembly loops.
func Scale[T Float](alpha T, x []T) {
	switch x := any(x).(type) {
	case []float32:
		gonum.Implementation{}.Sscal(len(x), float32(alpha), x, 1)
	case []float64:
		gonum.Implementation{}.Dscal(len(x), float64(alpha), x, 1)
	}
}

// Dot returns Σ x[i]·y[i] as the installed BLAS's 1×1 products compute
// it (‖W‖² of a Lean Net: gemmDot with the BLAS's own dot, gonum's or
// OpenBLAS's), so that a stack's member costs are its lone run's.
func Dot[T Float](x, y []T) T {
	b := G.WhichBLAS()
	switch x := any(x).(type) {
	case []float32:
		return T(b.Sdot(len(x), x, 1, any(y).([]float32), 1))
	case []float64:
		return T(b.Ddot(len(x), x, 1, any(y).([]float64), 1))
	}
	return 0
}
