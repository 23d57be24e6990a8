package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gtrain/gtrain/graph"
)

// stackCase is a stack's losses per member and its sizes rows, k
// (classes per member), d.
type stackCase struct {
	losses []graph.Loss
	sz     [3]int
}

// stackCases: one segment of each loss, of one member and of several,
// and mixed stacks.
var stackCases = func() (cases []stackCase) {
	X, C := graph.CrossEntropy, graph.SVM
	for _, losses := range [][]graph.Loss{{X}, {C}, {X, X, X}, {C, C}, {X, C, C, X}, {C, X}} {
		for _, sz := range [][3]int{{7, 10, 5}, {1, 3, 2}} {
			cases = append(cases, stackCase{losses, sz})
		}
	}
	return cases
}()

// The op inventory of stacked training graphs (rows 7, K 10, d 5): a
// segment of each loss, and a mixed stack of three segments. Re-pin as
// wantOps says.
var wantStackOps = map[string]string{
	"[cross cross]":         "constantScalar×2, constantTensor×1, elemBinOp +×3, elemBinOp -×2, elemBinOp ÷×3, elemBinOp ⊙×3, elemUnaryOp ln×1, elemUnaryOp neg×2, graph.colSumOp×1, graph.expOp×1, graph.rowMaxGradOp×1, graph.rowMaxOp×1, graph.rowSumOp×2, graph.spreadOp×3, graph.spreadRowsOp×1, input×4, linAlgBinOp A × B×1, linAlgBinOp A ××× Bᵀ×1, linAlgBinOp Aᵀ × B×1, linAlgBinOp Aᵀ ××× B×1, repeatOp×1, reshapeOp×13, sizeOp×1, sumOp×1",
	"[svm svm]":             "constantScalar×3, constantTensor×1, elemBinOp +×3, elemBinOp -×2, elemBinOp >=×1, elemBinOp ÷×2, elemBinOp ⊙×6, elemUnaryOp neg×1, graph.colSumOp×1, graph.rowSumOp×2, graph.spreadOp×3, graph.spreadRowsOp×1, input×4, linAlgBinOp A × B×1, linAlgBinOp A ××× Bᵀ×1, linAlgBinOp Aᵀ × B×1, linAlgBinOp Aᵀ ××× B×1, repeatOp×1, reshapeOp×13, sizeOp×1, sumOp×1",
	"[cross svm svm cross]": "constantScalar×3, constantTensor×1, elemBinOp +×9, elemBinOp -×6, elemBinOp >=×1, elemBinOp ÷×8, elemBinOp ⊙×12, elemUnaryOp ln×2, elemUnaryOp neg×5, graph.colSumOp×3, graph.expOp×2, graph.rowMaxGradOp×2, graph.rowMaxOp×2, graph.rowSumOp×6, graph.spreadOp×9, graph.spreadRowsOp×3, input×10, linAlgBinOp A × B×3, linAlgBinOp A ××× Bᵀ×3, linAlgBinOp Aᵀ × B×3, linAlgBinOp Aᵀ ××× B×3, repeatOp×3, reshapeOp×35, sizeOp×3, sumOp×3",
}

func TestStackOpInventory(t *testing.T) {
	X, C := graph.CrossEntropy, graph.SVM
	for _, losses := range [][]graph.Loss{{X, X}, {C, C}, {X, C, C, X}} {
		s := testStack(t, losses, 7, graph.NewParams[float64](len(losses)*10, 5), true)
		p, err := LowerStack(s)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprint(losses)
		if got := p.Summary(); got != wantStackOps[name] {
			t.Errorf("%s: op inventory changed:\n got %s\nwant %s\nprogram:\n%s", name, got, wantStackOps[name], p.Dump())
		}
	}
}

// TestStackProgramShape: a stacked program, as a lone one, copies
// nothing (W's 1×MK×d operand, the product's reshapes and the scores as
// (rows·M)×K are views) and runs one matrix product per segment, two
// with gradients.
func TestStackProgramShape(t *testing.T) {
	for _, c := range stackCases {
		for _, grad := range []bool{false, true} {
			rows, k, d := c.sz[0], c.sz[1], c.sz[2]
			s := testStack(t, c.losses, rows, graph.NewParams[float32](len(c.losses)*k, d), grad)
			p, err := LowerStack(s)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[Kind]int{}
			for _, in := range p.Instrs {
				kinds[in.Kind]++
			}
			want := len(s.Nodes().Segments)
			if grad {
				want *= 2
			}
			if kinds[Copy] != 0 || kinds[MatMul] != want {
				t.Errorf("%v %v grad=%v: %d copies, %d matrix products (want 0, %d):\n%s", c.losses, c.sz, grad, kinds[Copy], kinds[MatMul], want, p.Dump())
			}
		}
	}
}

// testStack builds the stack of losses over p (K = M·k) for rows rows,
// closed with the test.
func testStack[T graph.Float](t *testing.T, losses []graph.Loss, rows int, p *graph.Params[T], grad bool) *graph.Stack[T] {
	t.Helper()
	s, err := graph.NewStack(graph.StackConfig{Losses: losses, Classes: p.K / len(losses), Rows: rows, Grad: grad}, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStackRefMatchesTapeMachine runs stacked training and evaluation
// graphs through the lowered program (fused and not) on the reference
// backend and through the TapeMachine (Stack.Run) on random inputs, and
// compares every member's data term, ∂W, ∂b and scores: the largest
// difference relative to the largest value of the member's output, within
// 1e-12 in float64 and 1e-5 in float32 (the reference evaluates each
// function in float64 and rounds to float32, and sums in its own order:
// 2e-7 at these sizes).
func TestStackRefMatchesTapeMachine(t *testing.T) {
	for i, c := range stackCases {
		for _, fuse := range []bool{false, true} {
			name := fmt.Sprintf("%v/%v/fuse=%v", c.losses, c.sz, fuse)
			seed := uint64(i)
			t.Run(name+"/float64", func(t *testing.T) { checkStack[float64](t, c.losses, c.sz, fuse, seed, 1e-12) })
			t.Run(name+"/float32", func(t *testing.T) { checkStack[float32](t, c.losses, c.sz, fuse, seed, 1e-5) })
		}
	}
}

// checkStack compares the lowered training and evaluation graphs of a
// stack with the TapeMachine's; the training program's scores with the
// evaluation stack's (the training Stack does not read its scores).
func checkStack[T graph.Float](t *testing.T, losses []graph.Loss, sz [3]int, fuse bool, seed uint64, tol float64) {
	rows, k, d := sz[0], sz[1], sz[2]
	rng := rand.New(rand.NewPCG(seed, 13))
	p := graph.NewParams[T](len(losses)*k, d)
	p.InitGaussian(rng, 0.5)
	x := make([]T, rows*d)
	for i := range x {
		x[i] = T(rng.NormFloat64())
	}
	labels := make([]uint8, rows)
	for i := range labels {
		labels[i] = uint8(rng.IntN(k))
	}
	y := make([]T, rows*k)
	graph.OneHot(y, labels, k)

	var eval *graph.Stack[T]
	for _, grad := range []bool{false, true} {
		s := testStack(t, losses, rows, p, grad)
		if err := s.Run(x, y); err != nil {
			t.Fatal(err)
		}
		if !grad {
			eval = s
		}
		r := runRef(t, s, p, x, y, fuse)
		for i, sg := range s.Nodes().Segments {
			ms := sg.To - sg.From
			data, scores := r.Output(fmt.Sprint("data", i)), r.Output(fmt.Sprint("scores", i))
			dW, dB := r.Output(fmt.Sprint("dW", i)), r.Output(fmt.Sprint("dB", i))
			for m := sg.From; m < sg.To; m++ {
				j := m - sg.From
				type output struct {
					name      string
					got, want []T
				}
				outs := []output{
					{"data", data[j : j+1], []T{T(s.Loss(m))}},
					{"scores", memberRows(scores, rows, ms, k, j), eval.Scores(nil, m)},
				}
				if grad {
					outs = append(outs, output{"dW", dW[j*k*d : (j+1)*k*d], s.GradW(m)}, output{"dB", dB[j*k : (j+1)*k], s.GradB(m)})
				}
				for _, o := range outs {
					if len(o.got) != len(o.want) {
						t.Fatalf("grad=%v member %d %s: %d values, want %d", grad, m, o.name, len(o.got), len(o.want))
					}
					if e := maxRelDiff(o.got, o.want); !(e <= tol) {
						t.Errorf("grad=%v member %d (%s) %s: max relative difference %.3g > %g", grad, m, sg.Loss, o.name, e, tol)
					}
				}
			}
		}
	}
}

// runRef runs the lowered program of s (fused when fuse) on the reference
// backend with the stack's inputs x, y (rows×k labels, repeated here per
// member) and parameters p, after checking the program's sizes.
func runRef[T graph.Float](t *testing.T, s *graph.Stack[T], p *graph.Params[T], x, y []T, fuse bool) *Ref[T] {
	t.Helper()
	prog, err := LowerStack(s)
	if err != nil {
		t.Fatal(err)
	}
	if fuse {
		prog = Fuse(prog)
	}
	r, err := NewRef[T](prog, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Bind(InputX, x); err != nil {
		t.Fatal(err)
	}
	segs := s.Nodes().Segments
	rows, k, d := s.Rows(), p.K/s.Members(), p.D
	if prog.Rows != rows || prog.K != k || prog.D != d || len(prog.Members) != len(segs) {
		t.Fatalf("program of %d×%d, K=%d, members %v; want %d×%d, K=%d, %d segments", prog.Rows, prog.D, prog.K, prog.Members, rows, d, k, len(segs))
	}
	for i, sg := range segs {
		ms := sg.To - sg.From
		if prog.Members[i] != ms {
			t.Errorf("segment %d: %d members, want %d", i, prog.Members[i], ms)
		}
		for _, b := range []struct {
			role SlotRole
			v    []T
		}{{InputY, repeatRows(y, rows, ms, k)}, {ParamW, p.W[sg.From*k*d : sg.To*k*d]}, {ParamB, p.B[sg.From*k : sg.To*k]}} {
			if err := r.BindSegment(b.role, i, b.v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	return r
}

// repeatRows returns y (rows×k) with each row repeated m times: a
// segment's labels as Stack.Run feeds them.
func repeatRows[T graph.Float](y []T, rows, m, k int) []T {
	out := make([]T, 0, rows*m*k)
	for r := 0; r < rows; r++ {
		for range m {
			out = append(out, y[r*k:(r+1)*k]...)
		}
	}
	return out
}

// memberRows returns member j's rows×k scores of a segment's (rows·m)×k.
func memberRows[T graph.Float](scores []T, rows, m, k, j int) []T {
	var out []T
	for r := 0; r < rows; r++ {
		out = append(out, scores[(r*m+j)*k:(r*m+j+1)*k]...)
	}
	return out
}
