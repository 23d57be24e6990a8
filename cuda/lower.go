package cuda

import (
	"fmt"
	"sort"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Inputs of a Lower call: the graph and its named nodes.
type Inputs struct {
	Graph           *G.ExprGraph
	X               *G.Node // rows×d
	Y, Lambda, W, B *G.Node // a lone graph's: rows×K, a scalar, K×d, 1×K
	// Segments are a stack's inputs per segment, in member order, in place
	// of Y, W and B; a stack has no λ.
	Segments []SegmentInputs
	// Params are named parameter tensors (a k-layer net's W1, b1, gamma1,
	// …), each a slot of role Param with its name, in place of W and B;
	// K is then Y's columns.
	Params  map[string]*G.Node
	Outputs map[string]*G.Node // name → node (nil entries are skipped)
}

// SegmentInputs are the inputs of a segment of Members members of K
// classes each: the labels Y ((rows·Members)×K), W (1×(Members·K)×d) and
// b (1×(Members·K)).
type SegmentInputs struct {
	Members int
	Y, W, B *G.Node
}

// inputSlot is what an input node becomes: a slot of role for segment
// seg, named name (a Param's) or after the node.
type inputSlot struct {
	role SlotRole
	seg  int
	name string
}

// value is what a lowered node stands for.
type value struct {
	view View
}

type lowerer struct {
	p      *Program
	in     Inputs
	inputs map[*G.Node]inputSlot // X, every segment's Y, W, b, the named parameters
	vals   map[int64]*value
	g      *G.ExprGraph
	consts map[int]float64 // host ops with a known constant value
}

// OpKind returns the op kind used for dispatch and for the inventory:
// Gorgonia's type name plus, for parameterized ops, the operator ("elemBinOp +",
// "linAlgBinOp A × Bᵀ", "sumOp", ...).
func OpKind(op G.Op) string {
	t := strings.TrimPrefix(strings.TrimPrefix(fmt.Sprintf("%T", op), "*"), "gorgonia.")
	s := op.String()
	switch t {
	case "elemBinOp":
		sym, _, _ := strings.Cut(s, " ")
		return t + " " + sym
	case "elemUnaryOp", "linAlgBinOp":
		return t + " " + s
	}
	return t
}

// Lower turns the pruned graph into a program of dtype dt. The sizes come
// from X (rows×d) and W: K×d for a lone graph, 1×(Members·K)×d for each
// segment of a stack; with named Params, K from Y (rows×K).
func Lower(in Inputs, dt tensor.Dtype) (p *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("cuda: lowering: %v", r)
		}
	}()
	p = &Program{Dtype: dt, Outputs: map[string]View{}, Ops: map[string]int{}}
	l := &lowerer{p: p, in: in, inputs: map[*G.Node]inputSlot{}, vals: map[int64]*value{}, g: in.Graph, consts: map[int]float64{}}
	if err := l.sizes(); err != nil {
		return nil, fmt.Errorf("cuda: lowering: %w", err)
	}

	sorted, err := G.Sort(in.Graph)
	if err != nil {
		return nil, fmt.Errorf("cuda: lowering: %w", err)
	}
	// Liveness: only what the outputs need.
	live := map[int64]bool{}
	var mark func(n *G.Node)
	mark = func(n *G.Node) {
		if live[n.ID()] {
			return
		}
		live[n.ID()] = true
		for _, c := range l.children(n) {
			mark(c)
		}
	}
	names := make([]string, 0, len(in.Outputs))
	for name, n := range in.Outputs {
		if n != nil {
			mark(n)
			names = append(names, name)
		}
	}
	sort.Strings(names)
	// Gorgonia's Sort puts roots first.
	for i := len(sorted) - 1; i >= 0; i-- {
		n := sorted[i]
		if !live[n.ID()] {
			continue
		}
		if err := l.node(n); err != nil {
			return nil, fmt.Errorf("cuda: lowering %s: %w", n.Name(), err)
		}
	}
	for _, name := range names {
		n := in.Outputs[name]
		v := l.vals[n.ID()]
		if v == nil {
			return nil, fmt.Errorf("cuda: lowering: output %s (%s) was not computed", name, n.Name())
		}
		p.Outputs[name] = l.materialize(v.view, "output "+name)
	}
	return p, nil
}

// sizes sets the program's Rows, D, K and Members from the input shapes
// and maps the input nodes to their slots' roles.
func (l *lowerer) sizes() error {
	in, p := l.in, l.p
	xs := in.X.Shape()
	if len(xs) != 2 {
		return fmt.Errorf("X %v must be a matrix", xs)
	}
	p.Rows, p.D = xs[0], xs[1]
	l.inputs[in.X] = inputSlot{role: InputX}
	if in.Params != nil {
		if in.W != nil || in.B != nil || in.Segments != nil {
			return fmt.Errorf("named parameters with W, b or segments")
		}
		if in.Y != nil {
			ys := in.Y.Shape()
			if len(ys) != 2 || ys[0] != p.Rows {
				return fmt.Errorf("Y %v for X %v", ys, xs)
			}
			p.K = ys[1]
			l.inputs[in.Y] = inputSlot{role: InputY}
		}
		for name, n := range in.Params {
			if n == nil {
				return fmt.Errorf("parameter %s has no node", name)
			}
			if _, dup := l.inputs[n]; dup {
				return fmt.Errorf("parameter %s (%s) is another input too", name, n.Name())
			}
			l.inputs[n] = inputSlot{role: Param, name: name}
		}
		return nil
	}
	if in.Segments == nil {
		ws := in.W.Shape()
		if len(ws) != 2 {
			return fmt.Errorf("W %v must be a matrix", ws)
		}
		p.K = ws[0]
		l.segmentInputs(0, in.Y, in.W, in.B)
		return nil
	}
	first := in.Segments[0]
	if ws := first.W.Shape(); len(ws) != 3 || first.Members <= 0 {
		return fmt.Errorf("segment 0: W %v of %d members; want 1×(members·K)×d", ws, first.Members)
	}
	p.K = first.W.Shape()[1] / first.Members
	for i, sg := range in.Segments {
		if ws, want := sg.W.Shape(), (tensor.Shape{1, sg.Members * p.K, p.D}); !ws.Eq(want) {
			return fmt.Errorf("segment %d: W %v of %d members; want %v", i, ws, sg.Members, want)
		}
		p.Members = append(p.Members, sg.Members)
		l.segmentInputs(i, sg.Y, sg.W, sg.B)
	}
	return nil
}

// segmentInputs maps segment seg's Y, W and b (those given) to their
// slots' roles.
func (l *lowerer) segmentInputs(seg int, y, w, b *G.Node) {
	for role, n := range map[SlotRole]*G.Node{InputY: y, ParamW: w, ParamB: b} {
		if n != nil {
			l.inputs[n] = inputSlot{role: role, seg: seg}
		}
	}
}

func (l *lowerer) children(n *G.Node) []*G.Node { return nodeChildren(l.g, n) }

func (l *lowerer) newSlot(role SlotRole, n int, name string) int {
	l.p.Slots = append(l.p.Slots, Slot{Role: role, Len: n, Name: name})
	return len(l.p.Slots) - 1
}

func (l *lowerer) hostConst(x float64, node string) int {
	l.p.Host = append(l.p.Host, HostOp{Fn: FnIdentity, Val: x, Node: node})
	h := len(l.p.Host) - 1
	l.consts[h] = x
	return h
}

func (l *lowerer) hostOp(fn int, args []int, node string) int {
	l.p.Host = append(l.p.Host, HostOp{Fn: fn, Args: args, Node: node})
	h := len(l.p.Host) - 1
	all := true
	xs := make([]float64, len(args))
	for i, a := range args {
		c, ok := l.consts[a]
		all = all && ok
		xs[i] = c
	}
	if all {
		l.consts[h] = applyFn(fn, xs...)
	}
	return h
}

// emit appends ins with a fresh output slot of shape out and returns its view.
func (l *lowerer) emit(ins Instr, out tensor.Shape) View {
	v := contiguousView(0, out)
	ins.Rows, ins.Cols = v.Rows, v.Cols
	ins.Out = l.newSlot(Temp, v.Rows*v.Cols, ins.Node)
	v.Slot = ins.Out
	l.p.Instrs = append(l.p.Instrs, ins)
	return v
}

// nodeChildren returns n's operands in order.
func nodeChildren(g *G.ExprGraph, n *G.Node) []*G.Node {
	var out []*G.Node
	it := g.From(n.ID())
	for it.Next() {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}
