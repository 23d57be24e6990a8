package graph

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/chewxy/math32"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gtrain/gtrain/graph/internal/simd"
)

// expOf returns exp(x) element by element with G.Exp's bits (math.Exp,
// math32.Exp) and its gradient (∂x = out ⊙ ∂out, as Gorgonia's expDiffExpr).
// Gorgonia's Exp cannot write into a register: where its input is read
// again (the losses' shifted scores) it clones the input every Run, 13 MB
// a block of a 16-member stack's evaluation. This op writes into the
// register the TapeMachine offers, and over the cores for large inputs
// (each element is computed alone, so the bits do not depend on how).
func expOf(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(expOp{}, x)
}

// expOp is expOf's operation.
type expOp struct {
	plainOp
}

// expChunk is the fewest elements a goroutine of expOp takes: 13 µs of
// exp32, 47 µs of exp64 here, above the cost of waking a goroutine.
const expChunk = 16384

func (op expOp) Arity() int { return 1 }

func (op expOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (op expOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("exp: input of shape %v, want a tensor", in[0])
	}
	return s.Clone(), nil
}

func (op expOp) Do(in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("exp: input %v, want a tensor", in[0])
	}
	return op.UsePreallocDo(tensor.New(tensor.WithShape(t.Shape().Clone()...), tensor.Of(t.Dtype())), in...)
}

// UsePreallocDo writes into prealloc when it has the input's shape and
// dtype (else the error sends the TapeMachine to Do).
func (op expOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	out, ok2 := prealloc.(tensor.Tensor)
	if !ok || !ok2 || !out.Shape().Eq(t.Shape()) || out.Dtype() != t.Dtype() {
		return nil, fmt.Errorf("exp: cannot write %v into %v", in[0].Shape(), prealloc.Shape())
	}
	switch src := t.Data().(type) {
	case []float32:
		expInto(out.Data().([]float32), src, exp32)
	case []float64:
		expInto(out.Data().([]float64), src, exp64)
	default:
		return nil, fmt.Errorf("exp: dtype %v", t.Dtype())
	}
	return out, nil
}

func expInto[T Float](dst, x []T, exp func(dst, x []T)) {
	forChunks(len(x), 64, expChunk, len(x), expChunk, func(lo, hi int) { exp(dst[lo:hi], x[lo:hi]) })
}

// exp32 sets dst[i] = math32.Exp(x[i]): 8 at a time on the AVX2 routine
// that gives its bits (simd.Sexp8; 10 ns an element through the scalar
// one), the rest one by one.
func exp32(dst, x []float32) { expLanes(dst, x, 8, simd.Sexp8, math32.Exp) }

// exp64 is exp32 for math.Exp: 4 at a time on simd.Dexp4.
func exp64(dst, x []float64) { expLanes(dst, x, 4, simd.Dexp4, math.Exp) }

// expLanes runs vec over the first whole groups of lanes of x where the
// CPU has AVX2, scalar over the rest.
func expLanes[T Float](dst, x []T, lanes int, vec func(groups int, x, dst *T), scalar func(T) T) {
	n := 0
	if simd.Available {
		n = len(x) / lanes * lanes
		if n > 0 {
			vec(n/lanes, &x[0], &dst[0])
		}
	}
	for i := n; i < len(x); i++ {
		dst[i] = scalar(x[i])
	}
}

func (op expOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op expOp) Hashcode() uint32 { return hashOf(op) }

func (op expOp) String() string { return "Exp" }

// SymDiff: ∂x = exp(x) ⊙ ∂out, the output times the gradient.
func (op expOp) SymDiff(_ G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	r, err := G.HadamardProd(out, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{r}, nil
}
