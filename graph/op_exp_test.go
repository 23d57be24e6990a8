package graph

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestExpAsGorgonia: expOf gives G.Exp's bits, for the values and for the
// gradient that reaches the input through Σ exp(x) ⊙ c, in both dtypes,
// on a small input (one goroutine) and on one of several chunks (split
// over the cores, and on one core: the same bits).
func TestExpAsGorgonia(t *testing.T) {
	for _, rows := range []int{7, 4*expChunk/5 + 3} {
		const k = 5
		rng := rand.New(rand.NewPCG(4, uint64(rows)))
		xv, cv := randSlice(rng, rows*k), randSlice(rng, rows*k)
		for i := range xv {
			xv[i] *= 30 // past exp's overflow in float32, and to its underflow
		}
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			run := func(ours bool) (out, grad []float64) {
				g := G.NewGraph()
				x := G.NewMatrix(g, dt, G.WithShape(rows, k), G.WithName("x"),
					G.WithValue(tensor.New(tensor.WithShape(rows, k), tensor.WithBacking(backing(dt, xv)))))
				c := G.NewMatrix(g, dt, G.WithShape(rows, k), G.WithName("c"),
					G.WithValue(tensor.New(tensor.WithShape(rows, k), tensor.WithBacking(backing(dt, cv)))))
				var e *G.Node
				if ours {
					e = G.Must(expOf(x))
				} else {
					e = G.Must(G.Exp(x))
				}
				cost := G.Must(G.Sum(G.Must(G.HadamardProd(e, c))))
				if _, err := G.Grad(cost, x); err != nil {
					t.Fatal(err)
				}
				var ev G.Value
				G.Read(e, &ev)
				m := G.NewTapeMachine(g)
				defer m.Close()
				if err := m.RunAll(); err != nil {
					t.Fatal(err)
				}
				gv, err := x.Grad()
				if err != nil {
					t.Fatal(err)
				}
				return asF64(ev.Data()), asF64(gv.Data())
			}
			want, wantGrad := run(false)
			out, grad := run(true)
			if !slices.Equal(out, want) || !slices.Equal(grad, wantGrad) {
				t.Errorf("%d×%d %v: expOf differs from G.Exp", rows, k, dt)
			}
			prev := runtime.GOMAXPROCS(1)
			one, oneGrad := run(true)
			runtime.GOMAXPROCS(prev)
			if !slices.Equal(one, want) || !slices.Equal(oneGrad, wantGrad) {
				t.Errorf("%d×%d %v: expOf on one core differs", rows, k, dt)
			}
		}
	}
}

// TestExpOp: the op's refusal of a register of another shape (the
// TapeMachine then calls Do) and its output through Do.
func TestExpOp(t *testing.T) {
	in := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{0, 1, -1, 2}))
	v, err := expOp{}.Do(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Data().([]float64); got[0] != 1 || got[1] != 2.718281828459045 {
		t.Errorf("exp = %v", got)
	}
	if _, err := (expOp{}).UsePreallocDo(tensor.New(tensor.WithShape(4), tensor.Of(tensor.Float64)), in); err == nil {
		t.Error("a register of another shape was written")
	}
	if _, err := (expOp{}).UsePreallocDo(tensor.New(tensor.WithShape(2, 2), tensor.Of(tensor.Float32)), in); err == nil {
		t.Error("a register of another dtype was written")
	}
}
