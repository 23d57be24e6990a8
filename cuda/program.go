package cuda

import (
	"fmt"
	"sort"
	"strings"

	"gorgonia.org/tensor"
)

// Kind is the kind of a device instruction.
type Kind int

// Instruction kinds.
const (
	MatMul Kind = iota // Out = op(A)·op(B) (cuBLAS gemm)
	Binary             // Out = f(A, B) elementwise, inputs broadcast by strides
	Unary              // Out = f(A) elementwise
	Reduce             // Out = sum or max of A along Axis
	Copy               // Out = A materialized contiguous
)

func (k Kind) String() string {
	return [...]string{"matmul", "binary", "unary", "reduce", "copy", "fused"}[k]
}

// Instr is one device instruction. Its output is the contiguous slot Out of
// Rows×Cols elements.
type Instr struct {
	Kind       Kind
	Fn         int // Binary, Unary, Reduce
	Axis       int // Reduce: 0 (over rows, out 1×Cols), 1 (over columns, out Rows×1), -1 (all, out 1×1)
	In         []View
	Out        int
	Rows, Cols int
	// MatMul: Out (Rows×Cols) = op(In[0]) (Rows×K) · op(In[1]) (K×Cols).
	K    int
	Ops  []FusedOp // Fused (fuse.go); Out is then its first stored slot
	Node string    // the Gorgonia node, for messages
}

func (in Instr) String() string {
	var args []string
	for _, v := range in.In {
		args = append(args, v.String())
	}
	op := in.Kind.String()
	switch in.Kind {
	case Binary, Unary:
		op = FnName(in.Fn)
	case Reduce:
		op = fmt.Sprintf("%s[%d]", FnName(in.Fn), in.Axis)
	case MatMul:
		op = fmt.Sprintf("matmul[k=%d]", in.K)
	case Fused:
		var ops []string
		for _, o := range in.Ops {
			ops = append(ops, fmt.Sprintf("%s(%d,%d)→s%d", FnName(o.Fn), o.A, o.B, o.Store))
		}
		op = "fused[" + strings.Join(ops, " ") + "]"
	}
	return fmt.Sprintf("s%d[%d×%d] = %s(%s)  // %s", in.Out, in.Rows, in.Cols, op, strings.Join(args, ", "), in.Node)
}

// SlotRole says what a slot holds.
type SlotRole int

// Slot roles.
const (
	Temp SlotRole = iota
	InputX
	InputY
	ParamW
	ParamB
	Const
	// Param is a named parameter tensor (Slot.Name: a k-layer net's W1,
	// b1, gamma1, beta1, mean1, var1, …).
	Param
)

// Slot is a flat device buffer.
type Slot struct {
	Role SlotRole
	Len  int
	Name string
	Seg  int       // InputY, ParamW, ParamB: the stack's segment (0 in a lone graph)
	Init []float64 // Const: the values
}

// HostOp is one host-scalar computation: Fn of Args (indices of earlier host
// scalars), or the constant Val when Fn is FnIdentity and Args is empty, or
// λ when Lambda is set.
type HostOp struct {
	Fn     int
	Args   []int
	Val    float64
	Lambda bool
	Node   string
}

// Program is a lowered training or evaluation graph, of a lone classifier
// or of a stack of them (graph.Stack).
type Program struct {
	Dtype      tensor.Dtype
	Rows, K, D int // X is Rows×D; K is the classes of a member
	// Members are a stack's members per segment; nil for a lone graph.
	Members []int
	Slots   []Slot
	Host    []HostOp
	Instrs  []Instr
	// Outputs by name: "scores", "loss", "cost", "dW", "dB" (the last two
	// with gradients) of a lone graph; "scores<i>", "data<i>", "dW<i>",
	// "dB<i>" of a stack's segment i; "scores", "loss", "cost", "d<name>"
	// per trained tensor and "batchmean<l>", "batchvar<l>" per normalized
	// layer of a k-layer net (LowerMLP). Each is a contiguous view of a
	// slot, never a host scalar.
	Outputs map[string]View
	// Ops is the Gorgonia op inventory of the live graph: op kind → count.
	Ops map[string]int
}

// HostValues evaluates the host scalars for λ, rounding every result to the
// program's dtype as Gorgonia does.
func (p *Program) HostValues(lambda float64) []float64 {
	round := func(x float64) float64 {
		if p.Dtype == tensor.Float32 {
			return float64(float32(x))
		}
		return x
	}
	out := make([]float64, len(p.Host))
	for i, h := range p.Host {
		switch {
		case h.Lambda:
			out[i] = round(lambda)
		case len(h.Args) == 0:
			out[i] = round(h.Val)
		default:
			xs := make([]float64, len(h.Args))
			for j, a := range h.Args {
				xs[j] = out[a]
			}
			out[i] = round(applyFn(h.Fn, xs...))
		}
	}
	return out
}

// Summary lists the op inventory as "kind×count" sorted, for tests.
func (p *Program) Summary() string {
	var keys []string
	for k, c := range p.Ops {
		keys = append(keys, fmt.Sprintf("%s×%d", k, c))
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// Dump returns the program as text.
func (p *Program) Dump() string {
	var b strings.Builder
	for i, h := range p.Host {
		fmt.Fprintf(&b, "h%d = ", i)
		switch {
		case h.Lambda:
			b.WriteString("λ")
		case len(h.Args) == 0:
			fmt.Fprintf(&b, "%g", h.Val)
		default:
			fmt.Fprintf(&b, "%s%v", FnName(h.Fn), h.Args)
		}
		fmt.Fprintf(&b, "  // %s\n", h.Node)
	}
	for i, s := range p.Slots {
		if s.Role != Temp {
			fmt.Fprintf(&b, "s%d: %s (%d)\n", i, s.Name, s.Len)
		}
	}
	for _, in := range p.Instrs {
		b.WriteString(in.String())
		b.WriteByte('\n')
	}
	var names []string
	for n := range p.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "out %s = %s\n", n, p.Outputs[n])
	}
	return b.String()
}
