package graph

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestSumsAsSum: rowSums gives the bits of Sum(x, 1) and colSums those of
// Sum(x, 0): their values and the gradient of a cost through them, in both
// dtypes (exact equality: the losses moved from one to the other, and
// neither a lone run's nor a stack's bits may change).
func TestSumsAsSum(t *testing.T) {
	const rows, k = 6, 9
	for _, c := range []struct {
		name string
		axis int
		op   func(*G.Node) (*G.Node, error)
	}{
		{"rowSums", 1, rowSums},
		{"colSums", 0, colSums},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(c.axis)))
			xv, wv := randSlice(rng, rows*k), randSlice(rng, []int{k, rows}[c.axis])
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				run := func(ours bool) (costV float64, sums, grad []float64) {
					g := G.NewGraph()
					x := G.NewMatrix(g, dt, G.WithShape(rows, k), G.WithName("x"),
						G.WithValue(tensor.New(tensor.WithShape(rows, k), tensor.WithBacking(backing(dt, xv)))))
					w := G.NewVector(g, dt, G.WithShape(len(wv)), G.WithName("w"),
						G.WithValue(tensor.New(tensor.WithShape(len(wv)), tensor.WithBacking(backing(dt, wv)))))
					sq := G.Must(G.Square(x))
					var s *G.Node
					if ours {
						s = G.Must(c.op(sq))
					} else {
						s = G.Must(G.Sum(sq, c.axis))
					}
					cost := G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.Log(s)), w))))
					var cv, sv G.Value
					G.Read(cost, &cv)
					G.Read(s, &sv)
					grad = runGrad(t, g, cost, x)
					return scalarOf(cv), asF64(sv.Data()), grad
				}
				c0, s0, g0 := run(false)
				c1, s1, g1 := run(true)
				if c0 != c1 || !slices.Equal(s0, s1) || !slices.Equal(g0, g1) {
					t.Errorf("%v: %s gives %v, %v, ∂x %v; Sum(x, %d) %v, %v, %v", dt, c.name, c1, s1, g1, c.axis, c0, s0, g0)
				}
			}
		})
	}
}

// runGrad differentiates cost with respect to x, runs g once on a
// TapeMachine and returns ∂cost/∂x as float64s.
func runGrad(t *testing.T, g *G.ExprGraph, cost, x *G.Node) []float64 {
	t.Helper()
	if _, err := G.Grad(cost, x); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	gv, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	return asF64(gv.Data())
}

// backing returns v as the backing slice of a tensor of dtype dt.
func backing(dt tensor.Dtype, v []float64) any {
	if dt == tensor.Float32 {
		return to32(v)
	}
	return slices.Clone(v)
}

func asF64(d any) []float64 {
	switch d := d.(type) {
	case []float64:
		return slices.Clone(d)
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	}
	return nil
}
