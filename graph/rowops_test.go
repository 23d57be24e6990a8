package graph

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestSpreadColsAsBroadcast: the softmax shift s − max(s) with the max
// spread by spreadCols gives the bits of BroadcastSub's, the loss and its
// gradient with respect to s, in both dtypes (the losses moved from one to
// the other, and neither a lone run's nor a stack's bits may change).
func TestSpreadColsAsBroadcast(t *testing.T) {
	const rows, k = 7, 5
	rng := rand.New(rand.NewPCG(2, 3))
	sv := randSlice(rng, rows*k)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		run := func(useSpread bool) (loss float64, grad []float64) {
			g := G.NewGraph()
			var back any = slices.Clone(sv)
			if dt == tensor.Float32 {
				back = to32(sv)
			}
			s := G.NewMatrix(g, dt, G.WithShape(rows, k), G.WithName("s"),
				G.WithValue(tensor.New(tensor.WithShape(rows, k), tensor.WithBacking(back))))
			c := G.Must(G.Reshape(G.Must(G.Max(s, 1)), tensor.Shape{rows, 1}))
			var shifted *G.Node
			if useSpread {
				shifted = G.Must(G.Sub(s, G.Must(spreadCols(c, k))))
			} else {
				shifted = G.Must(G.BroadcastSub(s, c, nil, []byte{1}))
			}
			cost := G.Must(G.Sum(G.Must(G.Log(G.Must(G.Sum(G.Must(G.Exp(shifted)), 1))))))
			if _, err := G.Grad(cost, s); err != nil {
				t.Fatal(err)
			}
			var lv G.Value
			G.Read(cost, &lv)
			m := G.NewTapeMachine(g)
			defer m.Close()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			gv, err := s.Grad()
			if err != nil {
				t.Fatal(err)
			}
			switch d := gv.Data().(type) {
			case []float64:
				grad = slices.Clone(d)
			case []float32:
				for _, v := range d {
					grad = append(grad, float64(v))
				}
			}
			return scalarOf(lv), grad
		}
		l0, g0 := run(false)
		l1, g1 := run(true)
		if l0 != l1 || !slices.Equal(g0, g1) {
			t.Errorf("%v: spread gives loss %v and ∂s %v, the broadcast %v and %v", dt, l1, g1, l0, g0)
		}
	}
}

// TestSpreadOp: the op's output, its refusal of a register of another
// shape (the TapeMachine then calls Do), and its shape checks.
func TestSpreadOp(t *testing.T) {
	col := tensor.New(tensor.WithShape(3, 1), tensor.WithBacking([]float32{1, -2, 3}))
	v, err := spreadOp{k: 2}.Do(col)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Data().([]float32); !slices.Equal(got, []float32{1, 1, -2, -2, 3, 3}) {
		t.Errorf("spread = %v", got)
	}
	if _, err := (spreadOp{k: 2}).UsePreallocDo(tensor.New(tensor.WithShape(2, 3), tensor.Of(tensor.Float32)), col); err == nil {
		t.Error("a register of another shape was written")
	}
	if _, err := (spreadOp{k: 2}).InferShape(tensor.Shape{3, 2}); err == nil {
		t.Error("a 3×2 input was accepted")
	}
}

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
