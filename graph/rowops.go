package graph

import (
	"fmt"
	"hash"
	"hash/fnv"

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
type spreadOp struct{ k int }

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

func (op spreadOp) ReturnsPtr() bool     { return false }
func (op spreadOp) CallsExtern() bool    { return false }
func (op spreadOp) OverwritesInput() int { return -1 }

func (op spreadOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "spread%d", op.k) }

func (op spreadOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op spreadOp) String() string { return fmt.Sprintf("Spread(·, %d)", op.k) }

func (op spreadOp) DiffWRT(int) []bool { return []bool{true} }

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

// rowSums returns the vector of the sums of each row of x (rows×k): the
// values of Sum(x, 1), summed in the same order (from 0, left to right, as
// tensor's SumF32), whose gradient Gorgonia builds as a Repeat of ∂ over
// the k columns. Here the gradient is spreadCols of ∂: the same values,
// written row by row (TestRowSumsAsSum).
func rowSums(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(rowSumOp{}, x)
}

// rowSumOp is rowSums's operation.
type rowSumOp struct{}

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

func (op rowSumOp) ReturnsPtr() bool      { return false }
func (op rowSumOp) CallsExtern() bool     { return false }
func (op rowSumOp) OverwritesInput() int  { return -1 }
func (op rowSumOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "rowsums") }

func (op rowSumOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op rowSumOp) String() string { return "RowSums" }

func (op rowSumOp) DiffWRT(int) []bool { return []bool{true} }

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
// of ∂ over the rows; here it is spreadRows of ∂ (TestColSumsAsSum). A
// stack's data terms are its members' columns of row losses summed so.
func colSums(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(colSumOp{}, x)
}

// colSumOp is colSums's operation.
type colSumOp struct{}

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

func (op colSumOp) ReturnsPtr() bool      { return false }
func (op colSumOp) CallsExtern() bool     { return false }
func (op colSumOp) OverwritesInput() int  { return -1 }
func (op colSumOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "colsums") }

func (op colSumOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op colSumOp) String() string { return "ColSums" }

func (op colSumOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff: ∂x[i, j] = ∂out[j] for every i.
func (op colSumOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	r, err := G.ApplyOp(spreadRowsOp{rows: in[0].Shape()[0]}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{r}, nil
}

// spreadRowsOp returns the rows×k matrix whose every row is its input
// vector (k): colSums's gradient.
type spreadRowsOp struct{ rows int }

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

func (op spreadRowsOp) ReturnsPtr() bool      { return false }
func (op spreadRowsOp) CallsExtern() bool     { return false }
func (op spreadRowsOp) OverwritesInput() int  { return -1 }
func (op spreadRowsOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "spreadrows%d", op.rows) }

func (op spreadRowsOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op spreadRowsOp) String() string { return fmt.Sprintf("SpreadRows(·, %d)", op.rows) }

func (op spreadRowsOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff: the gradient of a spread of rows is the column sums of ∂.
func (op spreadRowsOp) SymDiff(_ G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	r, err := colSums(grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{r}, nil
}

// sumSquares returns ‖x‖² = Σ x² of a matrix with the bits of
// Sum(Square(x)): the squares summed as tensor's Sum over both axes does
// (element by element, from 0). Gorgonia
// differentiates Sum(Square(x)) through a Repeat of the scalar gradient
// to x's shape, element by element (for W1 of a 3072-50-10 network, 153 600
// copies per step: a fifth of its step); here ∂x = x ⊙ 2∂, one product
// by a scalar, the bits of Gorgonia's 2x ⊙ ∂ (scaling by 2 is exact)
// (TestSumSquaresAsSumSquare).
func sumSquares(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(sumSquaresOp{}, x)
}

type sumSquaresOp struct{}

func (op sumSquaresOp) Arity() int { return 1 }

func (op sumSquaresOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 2, Of: a}, a)
}

func (op sumSquaresOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if s, ok := in[0].(tensor.Shape); !ok || len(s) != 2 {
		return nil, fmt.Errorf("sum of squares: input of shape %v, want a matrix", in[0])
	}
	return tensor.ScalarShape(), nil
}

func (op sumSquaresOp) Do(in ...G.Value) (G.Value, error) {
	t, ok := in[0].(tensor.Tensor)
	if !ok || t.Shape().Dims() != 2 {
		return nil, fmt.Errorf("sum of squares: input %v, want a matrix", in[0])
	}
	switch x := t.Data().(type) {
	case []float32:
		return G.NewF32(squaresSum(x)), nil
	case []float64:
		return G.NewF64(squaresSum(x)), nil
	}
	return nil, fmt.Errorf("sum of squares: dtype %v", t.Dtype())
}

// squaresSum sums the squares of x in tensor's order for a Sum over all
// axes of Square(x): element by element from 0.
func squaresSum[T Float](x []T) T {
	var s T
	for _, v := range x {
		s += T(v * v) // T(…) rounds the square: no fused multiply-add
	}
	return s
}

func (op sumSquaresOp) ReturnsPtr() bool      { return false }
func (op sumSquaresOp) CallsExtern() bool     { return false }
func (op sumSquaresOp) OverwritesInput() int  { return -1 }
func (op sumSquaresOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "sumsquares") }

func (op sumSquaresOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op sumSquaresOp) String() string { return "SumSquares" }

func (op sumSquaresOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff: ∂x = x ⊙ (2∂), with ∂ the scalar gradient.
func (op sumSquaresOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	two := G.NewConstant(twoOf(grad.Dtype()), G.WithName("two"))
	g2, err := G.Mul(grad, two)
	if err != nil {
		return nil, err
	}
	r, err := G.Mul(in[0], g2)
	if err != nil {
		return nil, err
	}
	return G.Nodes{r}, nil
}

// twoOf returns 2 in the dtype dt (float32 or float64).
func twoOf(dt tensor.Dtype) any {
	if dt == tensor.Float32 {
		return float32(2)
	}
	return float64(2)
}
