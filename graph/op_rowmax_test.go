package graph

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestRowMaxesAsMax: rowMaxes gives G.Max(x, 1)'s bits, and so does its
// gradient, alone (Σ max ⊙ w, with w of both signs: the −0 off the max)
// and inside the cross-entropy's shift (the two gradients that reach the
// scores summed), in both dtypes; with ties, −0 beside +0, ±Inf and NaN
// (first in a row and later).
func TestRowMaxesAsMax(t *testing.T) {
	const rows, k = 9, 4
	rng := rand.New(rand.NewPCG(6, 7))
	xv, wv := randSlice(rng, rows*k), randSlice(rng, rows)
	copy(xv[0:4], []float64{2, 2, -1, 2})                      // ties
	copy(xv[4:8], []float64{math.Copysign(0, -1), 0, -3, -2})  // −0 before +0
	copy(xv[8:12], []float64{math.Inf(1), 1, math.Inf(1), 3})  // +Inf twice
	copy(xv[12:16], []float64{math.NaN(), 1, 5, 2})            // NaN first
	copy(xv[16:20], []float64{1, math.NaN(), 5, math.Inf(-1)}) // NaN later
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, shifted := range []bool{false, true} {
			run := func(ours bool) (out, grad []float64) {
				g := G.NewGraph()
				x := G.NewMatrix(g, dt, G.WithShape(rows, k), G.WithName("x"),
					G.WithValue(tensor.New(tensor.WithShape(rows, k), tensor.WithBacking(backing(dt, xv)))))
				w := G.NewVector(g, dt, G.WithShape(rows), G.WithName("w"),
					G.WithValue(tensor.New(tensor.WithShape(rows), tensor.WithBacking(backing(dt, wv)))))
				var m *G.Node
				if ours {
					m = G.Must(rowMaxes(x))
				} else {
					m = G.Must(G.Max(x, 1))
				}
				var cost *G.Node
				if shifted {
					c := G.Must(G.Reshape(m, tensor.Shape{rows, 1}))
					s := G.Must(G.Sub(x, G.Must(spreadCols(c, k))))
					cost = G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(rowSums(G.Must(G.HadamardProd(s, s)))), w))))
				} else {
					cost = G.Must(G.Sum(G.Must(G.HadamardProd(m, w))))
				}
				if _, err := G.Grad(cost, x); err != nil {
					t.Fatal(err)
				}
				var mv G.Value
				G.Read(m, &mv)
				vm := G.NewTapeMachine(g)
				defer vm.Close()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				gv, err := x.Grad()
				if err != nil {
					t.Fatal(err)
				}
				return asF64(mv.Data()), asF64(gv.Data())
			}
			want, wantGrad := run(false)
			out, grad := run(true)
			if !slices.Equal(bits(out), bits(want)) || !slices.Equal(bits(grad), bits(wantGrad)) {
				t.Errorf("%v shifted=%v: rowMaxes %v ∂ %v, G.Max %v ∂ %v", dt, shifted, out, grad, want, wantGrad)
			}
		}
	}
}

// TestRowMaxOps: the ops' refusals of registers of another shape (the
// TapeMachine then calls Do) and of inputs that are not matrices.
func TestRowMaxOps(t *testing.T) {
	x := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, 3, -1, -2}))
	v, err := rowMaxOp{}.Do(x)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Data().([]float64); !slices.Equal(got, []float64{3, -1}) {
		t.Errorf("row maxes = %v", got)
	}
	if _, err := (rowMaxOp{}).UsePreallocDo(tensor.New(tensor.WithShape(4), tensor.Of(tensor.Float64)), x); err == nil {
		t.Error("row maxes: a register of another shape was written")
	}
	if _, err := (rowMaxOp{}).InferShape(tensor.Shape{3}); err == nil {
		t.Error("row maxes: a vector was accepted")
	}
	m := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{3, -1}))
	g := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{2, -5}))
	d, err := rowMaxGradOp{}.Do(x, m, g)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Data().([]float64); !slices.Equal(bits(got), bits([]float64{0, 2, -5, math.Copysign(0, -1)})) {
		t.Errorf("gradient = %v", got)
	}
	if _, err := (rowMaxGradOp{}).UsePreallocDo(tensor.New(tensor.WithShape(4), tensor.Of(tensor.Float64)), x, m, g); err == nil {
		t.Error("gradient: a register of another shape was written")
	}
}

// bits returns the IEEE bits of v (NaN equal to NaN, −0 unequal to +0).
func bits(v []float64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = math.Float64bits(x)
	}
	return out
}
