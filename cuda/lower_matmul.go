package cuda

import (
	"fmt"

	"gorgonia.org/tensor"
)

// matmul lowers a (M×K)·(K×N) product to shape out. A product with a
// constant broadcast operand (Gorgonia's "ones" trick for biases and their
// gradients) is a broadcast view or a reduction, not a gemm.
func (l *lowerer) matmul(a, b View, out tensor.Shape, node string) (View, error) {
	m, k, n := a.Rows, a.Cols, b.Cols
	scale := func(v View, c float64) View {
		if c == 1 {
			return v
		}
		return l.emit(Instr{Kind: Binary, Fn: FnMul, In: []View{v, hostView(l.hostConst(c, node), v.Shape)}, Node: node}, v.Shape)
	}
	constOf := func(v View) (float64, bool) {
		if !v.IsHost() {
			return 0, false
		}
		c, ok := l.consts[v.Host]
		return c, ok
	}
	switch ca, okA := constOf(a); {
	case a.IsHost() && b.IsHost():
		return View{}, fmt.Errorf("a product of two host values")
	case a.IsHost() && !okA, b.IsHost() && func() bool { _, ok := constOf(b); return !ok }():
		return View{}, fmt.Errorf("a product with a λ-dependent operand")
	case okA:
		// C(i, j) = c·Σ_l B(l, j): row i of C is c times B's column sums.
		row := b
		if k != 1 {
			row = l.emit(Instr{Kind: Reduce, Fn: FnSum, Axis: 0, In: []View{b}, Node: node}, tensor.Shape{1, n})
		}
		row = withShape(row, tensor.Shape{1, n}, []int{0, row.CS})
		row = withShape(row, out, bcastStrides(out, 0, row.CS))
		return scale(row, ca), nil
	}
	if cb, okB := constOf(b); okB {
		// C(i, j) = c·Σ_l A(i, l).
		col := a
		if k != 1 {
			col = l.emit(Instr{Kind: Reduce, Fn: FnSum, Axis: 1, In: []View{a}, Node: node}, tensor.Shape{m, 1})
		}
		col = withShape(col, out, bcastStrides(out, col.RS, 0))
		return scale(col, cb), nil
	}
	a, b = l.gemmOperand(a, node), l.gemmOperand(b, node)
	return l.emit(Instr{Kind: MatMul, In: []View{a, b}, K: k, Node: node}, out), nil
}

// bcastStrides gives a shape of rank ≥ 2 the row and column strides rs, cs.
func bcastStrides(s tensor.Shape, rs, cs int) []int {
	st := make([]int, len(s))
	st[len(s)-2], st[len(s)-1] = rs, cs
	return st
}

// gemmOperand returns v when cuBLAS can read it (row- or column-major with
// unit stride), a contiguous copy otherwise.
func (l *lowerer) gemmOperand(v View, node string) View {
	if v.IsHost() {
		panic("matrix product of a host scalar")
	}
	if (v.CS == 1 && (v.RS >= v.Cols || v.Rows == 1)) || (v.RS == 1 && (v.CS >= v.Rows || v.Cols == 1)) {
		return v
	}
	return l.materialize(v, node+" (operand)")
}

// Gemm is a matrix product in cuBLAS's column-major terms: C (m×n, ldc) =
// op(A) (m×k) · op(B) (k×n), with offsets into the slots.
type Gemm struct {
	TransA, TransB bool
	M, N, K        int
	A, B, C        int // slots
	OffA, OffB     int
	LdA, LdB, LdC  int
}

// GemmOf maps the row-major product of a MatMul instruction to one column-
// major gemm: C = A·B row-major is Cᵀ = Bᵀ·Aᵀ column-major, so cuBLAS's
// first operand is our B.
func GemmOf(in Instr) Gemm {
	a, b := in.In[0], in.In[1]
	g := Gemm{M: in.Cols, N: in.Rows, K: in.K, LdC: max(in.Cols, 1), A: b.Slot, B: a.Slot, C: in.Out, OffA: b.Off, OffB: a.Off}
	// Column-major first operand is Bᵀ (Cols×K): a row-major B (CS == 1)
	// read column-major is already Bᵀ.
	operand := func(v View) (trans bool, ld int) {
		if v.CS == 1 && (v.RS >= v.Cols || v.Rows == 1) {
			return false, max(v.RS, v.Cols, 1)
		}
		return true, max(v.CS, v.Rows, 1)
	}
	g.TransA, g.LdA = operand(b)
	g.TransB, g.LdB = operand(a)
	return g
}
