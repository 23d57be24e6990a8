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
