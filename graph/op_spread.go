package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// spreadCols returns the rows×k matrix whose every column is col (rows×1):
// what BroadcastSub(s, col, nil, []byte{1}) subtracts from s. Gorgonia's
// broadcast repeats col through tensor's Repeat, which copies element by
// element, a third of a 16-member stack's elementwise time per step; this
// op writes the rows directly. Its gradient is the broadcast's, the sum of
// each row of the incoming gradient (Sum along axis 1, the same op), so
// Sub(s, spreadCols(col, k)) gives the broadcast's bits, forward and
// backward (TestSpreadColsAsBroadcast).
func spreadCols(col *G.Node, k int) (*G.Node, error) {
	return G.ApplyOp(spreadOp{k: k}, col)
}

// spreadOp is spreadCols's operation: out[i, j] = in[i, 0] for j < k.
type spreadOp struct {
	plainOp
	k int
}

func (op spreadOp) Arity() int { return 1 }

func (op spreadOp) Type() hm.Type {
	t := G.TensorType{Dims: 2, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}

func (op spreadOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 || s[1] != 1 {
		return nil, fmt.Errorf("spread: input of shape %v, want rows×1", in[0])
	}
	return tensor.Shape{s[0], op.k}, nil
}

func (op spreadOp) Do(in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	if !ok || t.Shape().Dims() != 2 || t.Shape()[1] != 1 {
		return nil, fmt.Errorf("spread: input %v, want a rows×1 tensor", in[0])
	}
	out := tensor.New(tensor.WithShape(t.Shape()[0], op.k), tensor.Of(t.Dtype()))
	return op.UsePreallocDo(out, in...)
}

// UsePreallocDo writes into prealloc when it has the output's shape and
// dtype (a TapeMachine register may hold another instruction's value:
// then the error sends the machine to Do).
func (op spreadOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	out, ok2 := prealloc.(tensor.Tensor)
	if !ok || !ok2 || t.Shape().Dims() != 2 || t.Shape()[1] != 1 ||
		!out.Shape().Eq(tensor.Shape{t.Shape()[0], op.k}) || out.Dtype() != t.Dtype() {
		return nil, fmt.Errorf("spread: cannot write %v into %v", in[0].Shape(), prealloc.Shape())
	}
	switch src := t.Data().(type) {
	case []float32:
		spreadInto(out.Data().([]float32), src, op.k)
	case []float64:
		spreadInto(out.Data().([]float64), src, op.k)
	default:
		return nil, fmt.Errorf("spread: dtype %v", t.Dtype())
	}
	return out, nil
}

func spreadInto[T Float](dst, col []T, k int) {
	for i, v := range col {
		row := dst[i*k : (i+1)*k]
		for j := range row {
			row[j] = v
		}
	}
}

func (op spreadOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op spreadOp) Hashcode() uint32 { return hashOf(op) }

func (op spreadOp) String() string { return fmt.Sprintf("Spread(·, %d)", op.k) }

// SymDiff: ∂col = Σ_j ∂out[:, j], by Sum along axis 1 as the broadcast's
// gradient, reshaped to rows×1.
func (op spreadOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	s, err := G.Sum(grad, 1)
	if err != nil {
		return nil, err
	}
	r, err := G.Reshape(s, in[0].Shape())
	if err != nil {
		return nil, err
	}
	return G.Nodes{r}, nil
}

// spreadRowsOp returns the rows×k matrix whose every row is its input
// vector (k): colSums's gradient.
type spreadRowsOp struct {
	plainOp
	rows int
}

func (op spreadRowsOp) Arity() int { return 1 }

func (op spreadRowsOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 1, Of: a}, G.TensorType{Dims: 2, Of: a})
}

func (op spreadRowsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 1 {
		return nil, fmt.Errorf("spread rows: input of shape %v, want a vector", in[0])
	}
	return tensor.Shape{op.rows, s[0]}, nil
}

func (op spreadRowsOp) Do(in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	if !ok || t.Shape().Dims() != 1 {
		return nil, fmt.Errorf("spread rows: input %v, want a vector", in[0])
	}
	return op.UsePreallocDo(tensor.New(tensor.WithShape(op.rows, t.Shape()[0]), tensor.Of(t.Dtype())), in...)
}

// UsePreallocDo writes into prealloc when it has the output's shape and
// dtype (else the error sends the TapeMachine to Do).
func (op spreadRowsOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	out, ok2 := prealloc.(tensor.Tensor)
	if !ok || !ok2 || t.Shape().Dims() != 1 || !out.Shape().Eq(tensor.Shape{op.rows, t.Shape()[0]}) || out.Dtype() != t.Dtype() {
		return nil, fmt.Errorf("spread rows: cannot write %v into %v", in[0].Shape(), prealloc.Shape())
	}
	switch src := t.Data().(type) {
	case []float32:
		repeatRows(out.Data().([]float32), src)
	case []float64:
		repeatRows(out.Data().([]float64), src)
	default:
		return nil, fmt.Errorf("spread rows: dtype %v", t.Dtype())
	}
	return out, nil
}

func repeatRows[T Float](dst, row []T) {
	for from := 0; from < len(dst); from += len(row) {
		copy(dst[from:from+len(row)], row)
	}
}

func (op spreadRowsOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op spreadRowsOp) Hashcode() uint32 { return hashOf(op) }

func (op spreadRowsOp) String() string { return fmt.Sprintf("SpreadRows(·, %d)", op.rows) }

// SymDiff: the gradient of a spread of rows is the column sums of ∂.
func (op spreadRowsOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	r, err := colSums(grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{r}, nil
}
