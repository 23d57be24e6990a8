package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/gtrain/gtrain/graph/internal/simd"
)

// TestSkinnyGemm checks SkinnyBLAS against gonum's gemm on every transpose
// combination, small and large sides, padded strides, and alpha/beta
// values with their special cases (0, 1): the handled products agree within
// rounding, the others are gonum's own.
func TestSkinnyGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	trans := []blas.Transpose{blas.NoTrans, blas.Trans}
	for _, sh := range [][3]int{{100, 10, 3072}, {10, 3072, 100}, {1, 10, 100}, {7, 3, 5}, {40, 50, 60}, {33, 2, 70}, {3, 700, 9}, {1, 1, 3075}, {1, 1, 1}} {
		for _, tA := range trans {
			for _, tB := range trans {
				for _, ab := range [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}, {2, 0}} {
					m, n, k := sh[0], sh[1], sh[2]
					name := fmt.Sprintf("%v%v/m=%d,n=%d,k=%d/alpha=%g,beta=%g", tA, tB, m, n, k, ab[0], ab[1])
					t.Run(name, func(t *testing.T) {
						ar, ac := m, k
						if tA == blas.Trans {
							ar, ac = k, m
						}
						br, bc := k, n
						if tB == blas.Trans {
							br, bc = n, k
						}
						lda, ldb, ldc := ac+1, bc+3, n+2
						a, b, c := randSlice(rng, ar*lda), randSlice(rng, br*ldb), randSlice(rng, m*ldc)
						c[0] = float64(math.NaN()) // beta = 0 must drop it
						if ab[1] != 0 {
							c[0] = 1
						}
						want := append([]float64(nil), c...)
						gonum.Implementation{}.Dgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
						got := append([]float64(nil), c...)
						SkinnyBLAS{}.Dgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
						for i := range got {
							if d := math.Abs(got[i] - want[i]); !(d <= 1e-12*(1+math.Abs(want[i]))) {
								t.Fatalf("float64 C[%d] = %v, gonum %v", i, got[i], want[i])
							}
						}
						a32, b32, c32 := to32(a), to32(b), to32(c)
						want32 := append([]float32(nil), c32...)
						gonum.Implementation{}.Sgemm(tA, tB, m, n, k, float32(ab[0]), a32, lda, b32, ldb, float32(ab[1]), want32, ldc)
						SkinnyBLAS{}.Sgemm(tA, tB, m, n, k, float32(ab[0]), a32, lda, b32, ldb, float32(ab[1]), c32, ldc)
						for i := range c32 {
							if d := math.Abs(float64(c32[i] - want32[i])); !(d <= 1e-3*(1+math.Abs(float64(want32[i])))) {
								t.Fatalf("float32 C[%d] = %v, gonum %v", i, c32[i], want32[i])
							}
						}
					})
				}
			}
		}
	}
}

// TestSkinnyGemmSplit: the split over goroutines gives the same bits as
// one goroutine.
func TestSkinnyGemmSplit(t *testing.T) {
	const n, d, k = 1000, 3072, 10
	rng := rand.New(rand.NewPCG(3, 4))
	x, g := randSlice(rng, n*d), randSlice(rng, n*k)
	par, one := make([]float64, k*d), make([]float64, k*d)
	SkinnyBLAS{}.Dgemm(blas.Trans, blas.NoTrans, k, d, n, 1, g, k, x, d, 0, par, d)
	prev := runtime.GOMAXPROCS(1)
	SkinnyBLAS{}.Dgemm(blas.Trans, blas.NoTrans, k, d, n, 1, g, k, x, d, 0, one, d)
	runtime.GOMAXPROCS(prev)
	if !slices.Equal(par, one) {
		t.Fatal("the split product differs from the serial one")
	}
}

// TestSkinnyGemmRowSplit: the scores X Wᵀ of a training batch, split by
// rows over goroutines, are bit for bit gonum's (the path of CPUs without
// AVX2).
func TestSkinnyGemmRowSplit(t *testing.T) {
	const n, d, k = 100, 3072, 10
	rng := rand.New(rand.NewPCG(3, 5))
	x, w := randSlice(rng, n*d), randSlice(rng, k*d)
	got, want := make([]float64, n*k), make([]float64, n*k)
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	if !splitRows(gonum.Implementation{}.Dgemm, blas.NoTrans, blas.Trans, n, k, d, 1, x, d, w, d, 0, got, k) {
		t.Fatal("X Wᵀ at batch 100 not split")
	}
	gonum.Implementation{}.Dgemm(blas.NoTrans, blas.Trans, n, k, d, 1, x, d, w, d, 0, want, k)
	if !slices.Equal(got, want) {
		t.Fatal("the split product differs from gonum's")
	}
	if splitRows(gonum.Implementation{}.Dgemm, blas.NoTrans, blas.Trans, 10000, k, d, 1, x, d, w, d, 0, got, k) {
		t.Error("a product gonum parallelizes itself was split")
	}
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

func to32(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

// BenchmarkGemm times a training step's two products (batch 100,
// d = 3072) on gonum's gemm and on SkinnyBLAS (with and without its
// AVX-512 kernels: avx2, skinny), for a lone run (K = 10)
// and stacks of 4, 16 and 64 members (K = 10·M), in GFLOP/s of wall time
// and CPU-µs per product.
func BenchmarkGemm(b *testing.B) {
	const n, d = 100, 3072
	for _, k := range []int{10, 40, 160, 640} {
		rng := rand.New(rand.NewPCG(1, 1))
		x, w, g := to32(randSlice(rng, n*d)), to32(randSlice(rng, k*d)), to32(randSlice(rng, n*k))
		s, dw := make([]float32, n*k), make([]float32, k*d)
		for _, impl := range []struct {
			name string
			f    func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
		}{{"gonum", gonum.Implementation{}.Sgemm}, {"avx2", SkinnyBLAS{NoAVX512: true}.Sgemm}, {"skinny", SkinnyBLAS{}.Sgemm}} {
			run := func(name string, f func()) {
				b.Run(fmt.Sprintf("%s/K=%d/%s", name, k, impl.name), func(b *testing.B) {
					t0 := CPUTime()
					for i := 0; i < b.N; i++ {
						f()
					}
					b.ReportMetric(float64((CPUTime()-t0).Microseconds())/float64(b.N), "cpu-µs/op")
					b.ReportMetric(2*float64(n*d*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
			run("XWt", func() { impl.f(blas.NoTrans, blas.Trans, n, k, d, 1, x, d, w, d, 0, s, k) })
			run("GtX", func() { impl.f(blas.Trans, blas.NoTrans, k, d, n, 1, g, k, x, d, 0, dw, d) })
		}
	}
}

// TestGemmKernels checks the AVX2 paths of SkinnyBLAS (kernels.go) against
// a float64 reference on shapes with every kind of remainder: an odd row,
// columns past the groups of 5 (NT) and past the last register (TN), rows
// past the groups of 10 (TN), a tail of k past the last register (NT).
// Tolerances: 1e-12 (float64) and 1e-4 (float32) relative to Σ|a·b|.
func TestGemmKernels(t *testing.T) {
	if !simd.Available {
		t.Skip("no AVX2+FMA on this CPU")
	}
	rng := rand.New(rand.NewPCG(8, 9))
	for _, c := range []struct {
		tA, tB  blas.Transpose
		m, n, k int
	}{
		{blas.NoTrans, blas.Trans, 100, 10, 3072},
		{blas.NoTrans, blas.Trans, 7, 12, 3075},
		{blas.NoTrans, blas.Trans, 2, 5, 8},
		{blas.NoTrans, blas.Trans, 3, 5, 3},
		{blas.NoTrans, blas.Trans, 1000, 10, 300},
		{blas.Trans, blas.NoTrans, 10, 3072, 100},
		{blas.Trans, blas.NoTrans, 23, 3077, 37},
		{blas.Trans, blas.NoTrans, 10, 5, 1},
		{blas.Trans, blas.NoTrans, 20, 10000, 50},
		// Stacked members (K = 10·M): the kernels for any width.
		{blas.NoTrans, blas.Trans, 100, 160, 3072},
		{blas.NoTrans, blas.Trans, 9, 643, 77},
		{blas.Trans, blas.NoTrans, 160, 3072, 100},
		{blas.Trans, blas.NoTrans, 647, 203, 13},
	} {
		name := fmt.Sprintf("%c%c/m=%d,n=%d,k=%d", c.tA, c.tB, c.m, c.n, c.k)
		t.Run(name, func(t *testing.T) {
			ar, ac := c.m, c.k
			if c.tA == blas.Trans {
				ar, ac = c.k, c.m
			}
			br, bc := c.k, c.n
			if c.tB == blas.Trans {
				br, bc = c.n, c.k
			}
			lda, ldb, ldc := ac+1, bc+2, c.n+3
			a, b := randSlice(rng, ar*lda), randSlice(rng, br*ldb)
			at := func(i, l int) float64 {
				if c.tA == blas.Trans {
					return a[l*lda+i]
				}
				return a[i*lda+l]
			}
			bt := func(l, j int) float64 {
				if c.tB == blas.Trans {
					return b[j*ldb+l]
				}
				return b[l*ldb+j]
			}
			want, scale := make([]float64, c.m*ldc), make([]float64, c.m*ldc)
			for i := 0; i < c.m; i++ {
				for j := 0; j < c.n; j++ {
					for l := 0; l < c.k; l++ {
						want[i*ldc+j] += at(i, l) * bt(l, j)
						scale[i*ldc+j] += math.Abs(at(i, l) * bt(l, j))
					}
				}
			}
			got := make([]float64, c.m*ldc)
			SkinnyBLAS{}.Dgemm(c.tA, c.tB, c.m, c.n, c.k, 1, a, lda, b, ldb, 0, got, ldc)
			got32 := make([]float32, c.m*ldc)
			SkinnyBLAS{}.Sgemm(c.tA, c.tB, c.m, c.n, c.k, 1, to32(a), lda, to32(b), ldb, 0, got32, ldc)
			for i := 0; i < c.m; i++ {
				for j := 0; j < c.n; j++ {
					x := i*ldc + j
					if d := math.Abs(got[x] - want[x]); !(d <= 1e-12*scale[x]) {
						t.Fatalf("float64 C[%d,%d] = %v, want %v", i, j, got[x], want[x])
					}
					if d := math.Abs(float64(got32[x]) - want[x]); !(d <= 1e-4*scale[x]) {
						t.Fatalf("float32 C[%d,%d] = %v, want %v", i, j, got32[x], want[x])
					}
				}
			}
		})
	}
}

// TestGemmKernelsSplit: the products on the kernels, split over
// goroutines, are the bits of one goroutine's: the scores X Wᵀ of a lone
// evaluation (10000 rows, K = 10) and both products of a 16-member
// stack's step (K = 160).
func TestGemmKernelsSplit(t *testing.T) {
	if !simd.Available {
		t.Skip("no AVX2+FMA on this CPU")
	}
	const d = 3072
	rng := rand.New(rand.NewPCG(3, 7))
	for _, c := range []struct {
		tA, tB  blas.Transpose
		m, n, k int
	}{
		{blas.NoTrans, blas.Trans, 10000, 10, d},
		{blas.NoTrans, blas.Trans, 100, 160, d},
		{blas.Trans, blas.NoTrans, 160, d, 100},
	} {
		ar, br := c.m, c.n
		if c.tA == blas.Trans {
			ar = c.k
		}
		if c.tB == blas.NoTrans {
			br = c.k
		}
		a, b := to32(randSlice(rng, ar*(c.m*c.k/ar))), to32(randSlice(rng, br*(c.n*c.k/br)))
		lda, ldb := c.m*c.k/ar, c.n*c.k/br
		par, one := make([]float32, c.m*c.n), make([]float32, c.m*c.n)
		prev := runtime.GOMAXPROCS(3)
		SkinnyBLAS{}.Sgemm(c.tA, c.tB, c.m, c.n, c.k, 1, a, lda, b, ldb, 0, par, c.n)
		runtime.GOMAXPROCS(1)
		SkinnyBLAS{}.Sgemm(c.tA, c.tB, c.m, c.n, c.k, 1, a, lda, b, ldb, 0, one, c.n)
		runtime.GOMAXPROCS(prev)
		if !slices.Equal(par, one) {
			t.Fatalf("%c%c m=%d n=%d k=%d: the split product differs from the serial one", c.tA, c.tB, c.m, c.n, c.k)
		}
	}
}

// TestAxpy: Axpy gives the bits of the plain loop y[i] += alpha*x[i] (the
// engines' update must not change when it is vectorized).
func TestAxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	for _, n := range []int{0, 1, 3, 4, 5, 17, 30720} {
		x, y := randSlice(rng, n), randSlice(rng, n+2)
		want := slices.Clone(y)
		for i := range x {
			want[i] += -0.37 * x[i]
		}
		Axpy(-0.37, x, y)
		if !slices.Equal(y, want) {
			t.Fatalf("float64 n=%d: Axpy differs from the loop", n)
		}
		x32, y32 := to32(x), to32(randSlice(rng, n+2))
		want32 := slices.Clone(y32)
		for i := range x32 {
			want32[i] += float32(-0.37) * x32[i]
		}
		Axpy(float32(-0.37), x32, y32)
		if !slices.Equal(y32, want32) {
			t.Fatalf("float32 n=%d: Axpy differs from the loop", n)
		}
	}
}

// TestScaleAxpy: ScaleAxpy gives the bits of Scale then Axpy (the update
// of W must not change when it is fused), for every length of tail.
func TestScaleAxpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for _, n := range []int{0, 1, 3, 4, 5, 8, 15, 16, 17, 31, 33, 30720} {
		x, y := randSlice(rng, n), randSlice(rng, n+1)
		want := slices.Clone(x)
		Scale(0.999, want)
		Axpy(-0.013, y[:n], want)
		ScaleAxpy(0.999, x, -0.013, y)
		if !slices.Equal(x, want) {
			t.Fatalf("float64 n=%d: ScaleAxpy differs from Scale and Axpy", n)
		}
		x32, y32 := to32(randSlice(rng, n)), to32(y)
		want32 := slices.Clone(x32)
		Scale(float32(0.999), want32)
		Axpy(float32(-0.013), y32[:n], want32)
		ScaleAxpy(float32(0.999), x32, float32(-0.013), y32)
		if !slices.Equal(x32, want32) {
			t.Fatalf("float32 n=%d: ScaleAxpy differs from Scale and Axpy", n)
		}
	}
}

// TestGemmWideKernelsBits: the AVX-512 kernels give the bits of the AVX2
// kernels (which give a stack's members their lone runs' bits), in both
// dtypes, for lone and stacked shapes and every kind of remainder: rows
// past the blocks of 8 (NT) or groups of 10 (TN), columns past the blocks
// of 5 (NT) or of 8 registers (TN), k past a register or a TN block of
// tnRows rows, leading dimensions past the sizes, and beta ≠ 0.
// (NT: rows past the blocks of 4 and columns past the blocks of 10.)
func TestGemmWideKernelsBits(t *testing.T) {
	if !simd.Available512 {
		t.Skip("no AVX-512 on this CPU")
	}
	rng := rand.New(rand.NewPCG(5, 11))
	for _, c := range []struct {
		tA, tB  blas.Transpose
		m, n, k int
		beta    float64
	}{
		{blas.NoTrans, blas.Trans, 100, 10, 3072, 0},
		{blas.NoTrans, blas.Trans, 100, 160, 3072, 0},
		{blas.NoTrans, blas.Trans, 10000, 160, 96, 0},
		{blas.NoTrans, blas.Trans, 27, 23, 3077, 0.5},
		{blas.NoTrans, blas.Trans, 9, 5, 8, 0},
		{blas.NoTrans, blas.Trans, 8, 643, 7, 1},
		{blas.NoTrans, blas.Trans, 27, 53, 3077, 0.5},
		{blas.NoTrans, blas.Trans, 101, 47, 64, 0},
		// ntWide's blocks: several of rows, of columns and of k (carried sums).
		{blas.NoTrans, blas.Trans, 203, 647, 1100, 0.5},
		{blas.NoTrans, blas.Trans, 1000, 160, 3072, 0},
		{blas.Trans, blas.NoTrans, 10, 3072, 100, 0},
		{blas.Trans, blas.NoTrans, 160, 3072, 100, 0},
		{blas.Trans, blas.NoTrans, 160, 3072, 500, 0},
		{blas.Trans, blas.NoTrans, 30, 3077, 37, 0.5},
		{blas.Trans, blas.NoTrans, 647, 203, 13, 1},
		{blas.Trans, blas.NoTrans, 20, 64, 1, 0},
	} {
		name := fmt.Sprintf("%c%c/m=%d,n=%d,k=%d", c.tA, c.tB, c.m, c.n, c.k)
		t.Run(name, func(t *testing.T) {
			ar, ac := c.m, c.k
			if c.tA == blas.Trans {
				ar, ac = c.k, c.m
			}
			br, bc := c.n, c.k
			if c.tB == blas.NoTrans {
				br, bc = c.k, c.n
			}
			lda, ldb, ldc := ac+3, bc+1, c.n+2
			a, b, c0 := randSlice(rng, ar*lda), randSlice(rng, br*ldb), randSlice(rng, c.m*ldc)
			wide, narrow := slices.Clone(c0), slices.Clone(c0)
			SkinnyBLAS{}.Dgemm(c.tA, c.tB, c.m, c.n, c.k, 1, a, lda, b, ldb, c.beta, wide, ldc)
			SkinnyBLAS{NoAVX512: true}.Dgemm(c.tA, c.tB, c.m, c.n, c.k, 1, a, lda, b, ldb, c.beta, narrow, ldc)
			if !slices.Equal(wide, narrow) {
				t.Errorf("float64: the AVX-512 product differs from the AVX2 one")
			}
			a32, b32 := to32(a), to32(b)
			wide32, narrow32 := to32(c0), to32(c0)
			SkinnyBLAS{}.Sgemm(c.tA, c.tB, c.m, c.n, c.k, 1, a32, lda, b32, ldb, float32(c.beta), wide32, ldc)
			SkinnyBLAS{NoAVX512: true}.Sgemm(c.tA, c.tB, c.m, c.n, c.k, 1, a32, lda, b32, ldb, float32(c.beta), narrow32, ldc)
			if !slices.Equal(wide32, narrow32) {
				t.Errorf("float32: the AVX-512 product differs from the AVX2 one")
			}
		})
	}
}
