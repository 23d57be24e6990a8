package graph

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestSumSquaresAsSumSquare: sumSquares gives the bits of
// Sum(Square(x)), and of the gradient of λ·Σx² + Σ (x ⊙ w) with respect to
// x (a second consumer of x, as a weight matrix has), in both dtypes, on
// a matrix large enough for the summation order to show.
func TestSumSquaresAsSumSquare(t *testing.T) {
	const rows, k = 37, 301
	rng := rand.New(rand.NewPCG(9, 4))
	xv, wv := randSlice(rng, rows*k), randSlice(rng, rows*k)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		back := func(v []float64) any {
			if dt == tensor.Float32 {
				return to32(v)
			}
			return slices.Clone(v)
		}
		run := func(fused bool) (sq float64, grad []float64) {
			g := G.NewGraph()
			x := G.NewMatrix(g, dt, G.WithShape(rows, k), G.WithName("x"),
				G.WithValue(tensor.New(tensor.WithShape(rows, k), tensor.WithBacking(back(xv)))))
			w := G.NewMatrix(g, dt, G.WithShape(rows, k), G.WithName("w"),
				G.WithValue(tensor.New(tensor.WithShape(rows, k), tensor.WithBacking(back(wv)))))
			lam := G.NewScalar(g, dt, G.WithName("lambda"))
			var s *G.Node
			if fused {
				s = G.Must(sumSquares(x))
			} else {
				s = G.Must(G.Sum(G.Must(G.Square(x))))
			}
			c := G.Must(G.Add(G.Must(G.Sum(G.Must(G.HadamardProd(x, w)))), G.Must(G.Mul(lam, s))))
			if _, err := G.Grad(c, x); err != nil {
				t.Fatal(err)
			}
			var sv G.Value
			G.Read(s, &sv)
			m := G.NewTapeMachine(g)
			defer m.Close()
			if dt == tensor.Float32 {
				G.Let(lam, float32(0.37))
			} else {
				G.Let(lam, 0.37)
			}
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			gv, err := x.Grad()
			if err != nil {
				t.Fatal(err)
			}
			return scalarOf(sv), asF64(gv.Data())
		}
		s0, g0 := run(false)
		s1, g1 := run(true)
		if s0 != s1 {
			t.Errorf("%v: Σx² = %v, Sum(Square(x)) = %v", dt, s1, s0)
		}
		if !slices.Equal(g0, g1) {
			t.Errorf("%v: the gradients differ", dt)
		}
	}
}
