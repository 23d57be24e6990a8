package graph

import (
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gtrain/gtrain/graph/internal/simd"
)

// The graphs of these tests run on the BLAS gtrain runs them on.
func TestMain(m *testing.M) {
	UseBLAS(BLASOptions{})
	os.Exit(m.Run())
}

// TestUseBLAS: UseBLAS installs the build's BLAS into Gorgonia and the
// tensor package, the same one when called twice, and BLASName says
// whether its products run on the AVX2 (and AVX-512) kernels.
func TestUseBLAS(t *testing.T) {
	defer UseBLAS(BLASOptions{})
	want := reflect.TypeOf(buildBLAS(BLASOptions{}))
	for _, opt := range []BLASOptions{{}, {}, {NoAVX2: true}, {NoAVX512: true}} {
		UseBLAS(opt)
		if got := reflect.TypeOf(G.WhichBLAS()); got != want {
			t.Fatalf("%+v: Gorgonia's BLAS is %v, want %v", opt, got, want)
		}
		if got := reflect.TypeOf(tensor.WhichBLAS()); got != want {
			t.Fatalf("%+v: the tensor package's BLAS is %v, want %v", opt, got, want)
		}
		name := BLAS
		switch {
		case BLAS == "gonum (as it is)" || !simd.Available || opt.NoAVX2:
		case simd.Available512 && !opt.NoAVX512:
			name += " + AVX2, AVX-512 kernels"
		default:
			name += " + AVX2 kernels"
		}
		if got := BLASName(); got != name {
			t.Errorf("%+v: BLASName() = %q, want %q", opt, got, name)
		}
	}
	G.Use(gonum.Implementation{})
	if got := BLASName(); got != "gonum (as it is)" {
		t.Errorf("on Gorgonia's default BLAS, BLASName() = %q", got)
	}
}

// TestNoAVX2: with NoAVX2 the scores X Wᵀ of a training step are gonum's
// own bits (off the kernels, SkinnyBLAS leaves that product to gonum); on
// the kernels, which sum in another order with fused multiply-adds, they
// are not.
func TestNoAVX2(t *testing.T) {
	const n, d, k = 100, 3072, 10
	rng := rand.New(rand.NewPCG(4, 2))
	x, w := to32(randSlice(rng, n*d)), to32(randSlice(rng, k*d))
	product := func(gemm func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) []float32 {
		s := make([]float32, n*k)
		gemm(blas.NoTrans, blas.Trans, n, k, d, 1, x, d, w, d, 0, s, k)
		return s
	}
	ref := product(gonum.Implementation{}.Sgemm)
	if !slices.Equal(product(SkinnyBLAS{NoAVX2: true}.Sgemm), ref) {
		t.Error("with NoAVX2 the product is not gonum's")
	}
	if simd.Available && slices.Equal(product(SkinnyBLAS{}.Sgemm), ref) {
		t.Error("on the AVX2 kernels the product has gonum's bits: were the kernels used?")
	}
}

// TestBLASThreads: BLASOptions.Threads bounds a product's goroutines, and
// the results are the same bits.
func TestBLASThreads(t *testing.T) {
	defer UseBLAS(BLASOptions{})
	rng := rand.New(rand.NewPCG(5, 5))
	const m, n, k = 100, 160, 3072
	a, b := to32(randSlice(rng, m*k)), to32(randSlice(rng, n*k))
	var outs [][]float32
	for _, th := range []int{0, 1} {
		UseBLAS(BLASOptions{Threads: th})
		if th == 1 && threads() != 1 {
			t.Fatalf("Threads 1: %d goroutines", threads())
		}
		c := make([]float32, m*n)
		G.WhichBLAS().Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, b, k, 0, c, n)
		outs = append(outs, c)
	}
	if !slices.Equal(outs[0], outs[1]) {
		t.Error("one goroutine's product differs")
	}
}
