package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// rowMaxes returns the vector of each row's largest entry of x (rows×k):
// the values of G.Max(x, 1), found as tensor finds them (from the row's
// first entry, each next one taken unless the running max is greater, so
// that a NaN after the first entry is the max). Gorgonia differentiates
// Max into two Repeats of rows×k, an Eq and a product, every step (16 000
// entries each for a 16-member stack); here the gradient is one op,
// rowMaxGrad, with the same values: ∂x[i, j] = ∂out[i] · (x[i, j] ==
// out[i]) (TestRowMaxesAsMax).
func rowMaxes(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(rowMaxOp{}, x)
}

// rowMaxOp is rowMaxes's operation.
type rowMaxOp struct {
	plainOp
}

func (op rowMaxOp) Arity() int { return 1 }

func (op rowMaxOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 1, Of: a})
}

func (op rowMaxOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 || s[1] < 1 {
		return nil, fmt.Errorf("row maxes: input of shape %v, want a matrix with columns", in[0])
	}
	return tensor.Shape{s[0]}, nil
}

func (op rowMaxOp) Do(in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	if !ok || t.Shape().Dims() != 2 {
		return nil, fmt.Errorf("row maxes: input %v, want a matrix", in[0])
	}
	return op.UsePreallocDo(tensor.New(tensor.WithShape(t.Shape()[0]), tensor.Of(t.Dtype())), in...)
}

// UsePreallocDo writes into prealloc when it has the output's shape and
// dtype (else the error sends the TapeMachine to Do).
func (op rowMaxOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	out, ok2 := prealloc.(tensor.Tensor)
	if !ok || !ok2 || t.Shape().Dims() != 2 || t.Shape()[1] < 1 || !out.Shape().Eq(tensor.Shape{t.Shape()[0]}) || out.Dtype() != t.Dtype() {
		return nil, fmt.Errorf("row maxes: cannot write %v into %v", in[0].Shape(), prealloc.Shape())
	}
	k := t.Shape()[1]
	switch src := t.Data().(type) {
	case []float32:
		maxRows(out.Data().([]float32), src, k)
	case []float64:
		maxRows(out.Data().([]float64), src, k)
	default:
		return nil, fmt.Errorf("row maxes: dtype %v", t.Dtype())
	}
	return out, nil
}

// maxRows is tensor's SliceMax of each row: ReduceF32(MaxF32, a[0], a[1:]...).
func maxRows[T Float](dst, x []T, k int) {
	for i := range dst {
		row := x[i*k : (i+1)*k]
		m := row[0]
		for _, v := range row[1:] {
			if !(m > v) {
				m = v
			}
		}
		dst[i] = m
	}
}

func (op rowMaxOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op rowMaxOp) Hashcode() uint32 { return hashOf(op) }

func (op rowMaxOp) String() string { return "RowMaxes" }

// SymDiff: ∂x = rowMaxGrad(x, out, ∂out).
func (op rowMaxOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	r, err := G.ApplyOp(rowMaxGradOp{}, in[0], out, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{r}, nil
}

// rowMaxGradOp is rowMaxes's gradient: from x (rows×k), its row maxes m
// and their gradient g, the matrix g[i] · (x[i, j] == m[i] ? 1 : 0), the
// product Gorgonia's Max gradient forms from its Repeats and Eq.
type rowMaxGradOp struct {
	plainOp
}

func (op rowMaxGradOp) Arity() int { return 3 }

func (op rowMaxGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 1, Of: a}, G.TensorType{Dims: 1, Of: a}, G.TensorType{Dims: 2, Of: a})
}

// DiffWRT: the gradient is not differentiated again.
func (op rowMaxGradOp) DiffWRT(int) []bool { return []bool{false, false, false} }

func (op rowMaxGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("row maxes' gradient: not differentiable")
}

func (op rowMaxGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("row maxes' gradient: input of shape %v, want a matrix", in[0])
	}
	return s.Clone(), nil
}

func (op rowMaxGradOp) Do(in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("row maxes' gradient: input %v, want a matrix", in[0])
	}
	return op.UsePreallocDo(tensor.New(tensor.WithShape(t.Shape().Clone()...), tensor.Of(t.Dtype())), in...)
}

// UsePreallocDo writes into prealloc when it has x's shape and dtype.
func (op rowMaxGradOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, ok := in[0].(tensor.Tensor)
	m, ok2 := in[1].(tensor.Tensor)
	g, ok3 := in[2].(tensor.Tensor)
	out, ok4 := prealloc.(tensor.Tensor)
	if !ok || !ok2 || !ok3 || !ok4 || x.Shape().Dims() != 2 || !out.Shape().Eq(x.Shape()) || out.Dtype() != x.Dtype() ||
		m.Shape().TotalSize() != x.Shape()[0] || g.Shape().TotalSize() != x.Shape()[0] {
		return nil, fmt.Errorf("row maxes' gradient: cannot write %v into %v", x.Shape(), prealloc.Shape())
	}
	k := x.Shape()[1]
	switch xs := x.Data().(type) {
	case []float32:
		maxGrad(out.Data().([]float32), xs, m.Data().([]float32), g.Data().([]float32), k)
	case []float64:
		maxGrad(out.Data().([]float64), xs, m.Data().([]float64), g.Data().([]float64), k)
	default:
		return nil, fmt.Errorf("row maxes' gradient: dtype %v", x.Dtype())
	}
	return out, nil
}

// maxGrad sets dst[i, j] = g[i] · (x[i, j] == m[i]): a product by 1 or 0,
// as Gorgonia's (−0 where g[i] < 0 off the max, NaN where g[i] is NaN).
func maxGrad[T Float](dst, x, m, g []T, k int) {
	for i, gi := range g {
		row, d := x[i*k:(i+1)*k], dst[i*k:(i+1)*k]
		for j, v := range row {
			var eq T
			if v == m[i] {
				eq = 1
			}
			d[j] = gi * eq
		}
	}
}

func (op rowMaxGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op rowMaxGradOp) Hashcode() uint32 { return hashOf(op) }

func (op rowMaxGradOp) String() string { return "RowMaxesGrad" }
