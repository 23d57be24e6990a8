package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// rowSums returns the vector of the sums of each row of x (rows×k): the
// values of Sum(x, 1), summed in the same order (from 0, left to right, as
// tensor's SumF32), whose gradient Gorgonia builds as a Repeat of ∂ over
// the k columns. Here the gradient is spreadCols of ∂: the same values,
// written row by row (TestSumsAsSum).
func rowSums(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(rowSumOp{}, x)
}

// rowSumOp is rowSums's operation.
type rowSumOp struct {
	plainOp
}

func (op rowSumOp) Arity() int { return 1 }

func (op rowSumOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 1, Of: a})
}

func (op rowSumOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("row sums: input of shape %v, want a matrix", in[0])
	}
	return tensor.Shape{s[0]}, nil
}

func (op rowSumOp) Do(in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	if !ok || t.Shape().Dims() != 2 {
		return nil, fmt.Errorf("row sums: input %v, want a matrix", in[0])
	}
	return op.UsePreallocDo(tensor.New(tensor.WithShape(t.Shape()[0]), tensor.Of(t.Dtype())), in...)
}

// UsePreallocDo writes into prealloc when it has the output's shape and
// dtype (else the error sends the TapeMachine to Do).
func (op rowSumOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	out, ok2 := prealloc.(tensor.Tensor)
	if !ok || !ok2 || t.Shape().Dims() != 2 || !out.Shape().Eq(tensor.Shape{t.Shape()[0]}) || out.Dtype() != t.Dtype() {
		return nil, fmt.Errorf("row sums: cannot write %v into %v", in[0].Shape(), prealloc.Shape())
	}
	k := t.Shape()[1]
	switch src := t.Data().(type) {
	case []float32:
		sumRows(out.Data().([]float32), src, k)
	case []float64:
		sumRows(out.Data().([]float64), src, k)
	default:
		return nil, fmt.Errorf("row sums: dtype %v", t.Dtype())
	}
	return out, nil
}

func sumRows[T Float](dst, x []T, k int) {
	for i := range dst {
		var s T
		for _, v := range x[i*k : (i+1)*k] {
			s += v
		}
		dst[i] = s
	}
}

func (op rowSumOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op rowSumOp) Hashcode() uint32 { return hashOf(op) }

func (op rowSumOp) String() string { return "RowSums" }

// SymDiff: ∂x[i, j] = ∂out[i] for every j.
func (op rowSumOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	s := in[0].Shape()
	col, err := G.Reshape(grad, tensor.Shape{s[0], 1})
	if err != nil {
		return nil, err
	}
	r, err := spreadCols(col, s[1])
	if err != nil {
		return nil, err
	}
	return G.Nodes{r}, nil
}

// colSums returns the vector of the sums of each column of x (rows×k): the
// values of Sum(x, 0), summed as tensor sums along the first axis (row 0,
// then each next row added), whose gradient Gorgonia builds as a Repeat
// of ∂ over the rows; here it is spreadRows of ∂ (TestSumsAsSum). A
// stack's data terms are its members' columns of row losses summed so.
func colSums(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(colSumOp{}, x)
}

// colSumOp is colSums's operation.
type colSumOp struct {
	plainOp
}

func (op colSumOp) Arity() int { return 1 }

func (op colSumOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 1, Of: a})
}

func (op colSumOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("column sums: input of shape %v, want a matrix", in[0])
	}
	return tensor.Shape{s[1]}, nil
}

func (op colSumOp) Do(in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	if !ok || t.Shape().Dims() != 2 {
		return nil, fmt.Errorf("column sums: input %v, want a matrix", in[0])
	}
	return op.UsePreallocDo(tensor.New(tensor.WithShape(t.Shape()[1]), tensor.Of(t.Dtype())), in...)
}

// UsePreallocDo writes into prealloc when it has the output's shape and
// dtype (else the error sends the TapeMachine to Do).
func (op colSumOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	out, ok2 := prealloc.(tensor.Tensor)
	if !ok || !ok2 || t.Shape().Dims() != 2 || !out.Shape().Eq(tensor.Shape{t.Shape()[1]}) || out.Dtype() != t.Dtype() {
		return nil, fmt.Errorf("column sums: cannot write %v into %v", in[0].Shape(), prealloc.Shape())
	}
	switch src := t.Data().(type) {
	case []float32:
		sumCols(out.Data().([]float32), src)
	case []float64:
		sumCols(out.Data().([]float64), src)
	default:
		return nil, fmt.Errorf("column sums: dtype %v", t.Dtype())
	}
	return out, nil
}

func sumCols[T Float](dst, x []T) {
	k := len(dst)
	copy(dst, x[:k])
	for from := k; from < len(x); from += k {
		for j, v := range x[from : from+k] {
			dst[j] += v
		}
	}
}

func (op colSumOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op colSumOp) Hashcode() uint32 { return hashOf(op) }

func (op colSumOp) String() string { return "ColSums" }

// SymDiff: ∂x[i, j] = ∂out[j] for every i.
func (op colSumOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	r, err := G.ApplyOp(spreadRowsOp{rows: in[0].Shape()[0]}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{r}, nil
}
