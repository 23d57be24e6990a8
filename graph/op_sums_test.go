package graph

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestRowSumsAsSum: rowSums gives the bits of Sum(x, 1), its value and the
// gradient of a cost through it, in both dtypes.
func TestRowSumsAsSum(t *testing.T) {
	const rows, k = 6, 9
	rng := rand.New(rand.NewPCG(7, 1))
	xv, wv := randSlice(rng, rows*k), randSlice(rng, rows)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		back := func(v []float64) any {
			if dt == tensor.Float32 {
				return to32(v)
			}
			return slices.Clone(v)
		}
		run := func(useRowSums bool) (cost float64, sums, grad []float64) {
			g := G.NewGraph()
			x := G.NewMatrix(g, dt, G.WithShape(rows, k), G.WithName("x"),
				G.WithValue(tensor.New(tensor.WithShape(rows, k), tensor.WithBacking(back(xv)))))
			w := G.NewVector(g, dt, G.WithShape(rows), G.WithName("w"),
				G.WithValue(tensor.New(tensor.WithShape(rows), tensor.WithBacking(back(wv)))))
			sq := G.Must(G.Square(x))
			var s *G.Node
			if useRowSums {
				s = G.Must(rowSums(sq))
			} else {
				s = G.Must(G.Sum(sq, 1))
			}
			c := G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.Log(s)), w))))
			if _, err := G.Grad(c, x); err != nil {
				t.Fatal(err)
			}
			var cv, sv G.Value
			G.Read(c, &cv)
			G.Read(s, &sv)
			m := G.NewTapeMachine(g)
			defer m.Close()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			gv, err := x.Grad()
			if err != nil {
				t.Fatal(err)
			}
			return scalarOf(cv), asF64(sv.Data()), asF64(gv.Data())
		}
		c0, s0, g0 := run(false)
		c1, s1, g1 := run(true)
		if c0 != c1 || !slices.Equal(s0, s1) || !slices.Equal(g0, g1) {
			t.Errorf("%v: rowSums gives %v, %v, ∂x %v; Sum(x, 1) %v, %v, %v", dt, c1, s1, g1, c0, s0, g0)
		}
	}
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

// TestColSumsAsSum: colSums gives the bits of Sum(x, 0), its value and the
// gradient of a cost through it, in both dtypes.
func TestColSumsAsSum(t *testing.T) {
	const rows, k = 9, 4
	rng := rand.New(rand.NewPCG(3, 8))
	xv, wv := randSlice(rng, rows*k), randSlice(rng, k)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		back := func(v []float64) any {
			if dt == tensor.Float32 {
				return to32(v)
			}
			return slices.Clone(v)
		}
		run := func(useColSums bool) (cost float64, sums, grad []float64) {
			g := G.NewGraph()
			x := G.NewMatrix(g, dt, G.WithShape(rows, k), G.WithName("x"),
				G.WithValue(tensor.New(tensor.WithShape(rows, k), tensor.WithBacking(back(xv)))))
			w := G.NewVector(g, dt, G.WithShape(k), G.WithName("w"),
				G.WithValue(tensor.New(tensor.WithShape(k), tensor.WithBacking(back(wv)))))
			sq := G.Must(G.Square(x))
			var s *G.Node
			if useColSums {
				s = G.Must(colSums(sq))
			} else {
				s = G.Must(G.Sum(sq, 0))
			}
			c := G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.Log(s)), w))))
			if _, err := G.Grad(c, x); err != nil {
				t.Fatal(err)
			}
			var cv, sv G.Value
			G.Read(c, &cv)
			G.Read(s, &sv)
			m := G.NewTapeMachine(g)
			defer m.Close()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			gv, err := x.Grad()
			if err != nil {
				t.Fatal(err)
			}
			return scalarOf(cv), asF64(sv.Data()), asF64(gv.Data())
		}
		c0, s0, g0 := run(false)
		c1, s1, g1 := run(true)
		if c0 != c1 || !slices.Equal(s0, s1) || !slices.Equal(g0, g1) {
			t.Errorf("%v: colSums gives %v, %v, ∂x %v; Sum(x, 0) %v, %v, %v", dt, c1, s1, g1, c0, s0, g0)
		}
	}
}
