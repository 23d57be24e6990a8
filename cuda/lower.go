// Package cuda runs the classifier's Gorgonia graphs on an NVIDIA GPU with
// its own executor: the compiled expression graph is lowered to a small
// program of device instructions (this file, plain Go, no build tag), which a
// reference backend in Go (ref.go) and the CUDA backend (build tag cuda)
// execute. Gorgonia's own CUDA mode is not used: it needs cuDNN 7.
//
// The program is rank-2 throughout: every value is a view (offset, rows,
// columns, row stride, column stride) of a flat buffer (a slot), or a host
// scalar broadcast to a shape. Reshapes, transposes and Gorgonia's Repeat
// (its broadcasting) become views, not copies; everything that depends only
// on constants, sizes and λ is folded to host scalars; what no output needs
// is dropped.
package cuda

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	G "gorgonia.org/gorgonia"
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

// Elementwise and reduction functions, shared by all backends (the CUDA
// kernels switch on the same numbers: keep kernels.cu in step).
const (
	FnAdd = iota
	FnSub
	FnMul
	FnDiv
	FnPow
	FnLt
	FnGt
	FnLe
	FnGe
	FnEq
	FnNe
	FnExp
	FnLn
	FnNeg
	FnSquare
	FnSqrt
	FnAbs
	FnSign
	FnInv
	FnCube
	FnTanh
	FnSigmoid
	FnLog1p
	FnExpm1
	FnSum
	FnMax
	FnIdentity
)

var fnNames = map[int]string{
	FnAdd: "add", FnSub: "sub", FnMul: "mul", FnDiv: "div", FnPow: "pow",
	FnLt: "lt", FnGt: "gt", FnLe: "le", FnGe: "ge", FnEq: "eq", FnNe: "ne",
	FnExp: "exp", FnLn: "ln", FnNeg: "neg", FnSquare: "square", FnSqrt: "sqrt",
	FnAbs: "abs", FnSign: "sign", FnInv: "inv", FnCube: "cube", FnTanh: "tanh",
	FnSigmoid: "sigmoid", FnLog1p: "log1p", FnExpm1: "expm1",
	FnSum: "sum", FnMax: "max", FnIdentity: "identity",
}

// FnName names an elementwise or reduction function.
func FnName(fn int) string { return fnNames[fn] }

// Gorgonia's operator symbols (elemBinOp with retSame, elemUnaryOp).
var binarySymbols = map[string]int{
	"+": FnAdd, "-": FnSub, "⊙": FnMul, "÷": FnDiv, "^": FnPow,
	"<": FnLt, ">": FnGt, "<=": FnLe, ">=": FnGe, "==": FnEq, "!=": FnNe,
}

var unarySymbols = map[string]int{
	"exp": FnExp, "ln": FnLn, "neg": FnNeg, "square": FnSquare, "sqrt": FnSqrt,
	"abs": FnAbs, "sign": FnSign, "inv": FnInv, "cube": FnCube, "tanh": FnTanh,
	"sigmoid": FnSigmoid, "log1p": FnLog1p, "expm1": FnExpm1,
}

// View is a rank-2 view of a slot, or of a host scalar when Host ≥ 0
// (then Slot is -1 and the strides are 0). Element (i, j) is
// buf[Off + i·RS + j·CS].
type View struct {
	Slot, Host int
	Off        int
	Rows, Cols int
	RS, CS     int
	Shape      tensor.Shape // Gorgonia's shape of the value
	St         []int        // its strides, one per dimension
}

// IsHost reports whether v is a host scalar.
func (v View) IsHost() bool { return v.Host >= 0 }

// Contiguous reports whether v is a row-major, gap-free view.
func (v View) Contiguous() bool {
	switch {
	case v.IsHost():
		return false
	case v.Rows*v.Cols <= 1:
		return true
	case v.Rows == 1:
		return v.CS == 1
	case v.Cols == 1:
		return v.RS == 1
	}
	return v.CS == 1 && v.RS == v.Cols
}

func (v View) String() string {
	if v.IsHost() {
		return fmt.Sprintf("h%d%v", v.Host, []int(v.Shape))
	}
	return fmt.Sprintf("s%d+%d[%d×%d;%d,%d]", v.Slot, v.Off, v.Rows, v.Cols, v.RS, v.CS)
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
)

// Slot is a flat device buffer.
type Slot struct {
	Role SlotRole
	Len  int
	Name string
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

// Program is a lowered training or evaluation graph.
type Program struct {
	Dtype      tensor.Dtype
	Rows, K, D int
	Slots      []Slot
	Host       []HostOp
	Instrs     []Instr
	// Outputs by name: "scores", "loss", "cost", "dW", "dB" (the last two
	// with gradients). Each is a contiguous view of a slot, never a host
	// scalar.
	Outputs map[string]View
	// Ops is the Gorgonia op inventory of the live graph: op kind → count.
	Ops map[string]int
}

// Inputs of a Lower call: the graph and its named nodes.
type Inputs struct {
	Graph              *G.ExprGraph
	X, Y, Lambda, W, B *G.Node
	Outputs            map[string]*G.Node // name → node (nil entries are skipped)
}

// value is what a lowered node stands for.
type value struct {
	view View
}

type lowerer struct {
	p      *Program
	in     Inputs
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

// Lower turns the pruned graph into a program. rows, k and d are the sizes of
// X (rows×d), W (k×d); dt is the dtype.
func Lower(in Inputs, dt tensor.Dtype) (p *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("cuda: lowering: %v", r)
		}
	}()
	xs, ws := in.X.Shape(), in.W.Shape()
	if len(xs) != 2 || len(ws) != 2 {
		return nil, fmt.Errorf("cuda: lowering: X %v and W %v must be matrices", xs, ws)
	}
	p = &Program{Dtype: dt, Rows: xs[0], D: xs[1], K: ws[0], Outputs: map[string]View{}, Ops: map[string]int{}}
	l := &lowerer{p: p, in: in, vals: map[int64]*value{}, g: in.Graph, consts: map[int]float64{}}

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

func (l *lowerer) children(n *G.Node) []*G.Node {
	var out []*G.Node
	it := l.g.From(n.ID())
	for it.Next() {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}

func (l *lowerer) newSlot(role SlotRole, n int, name string) int {
	l.p.Slots = append(l.p.Slots, Slot{Role: role, Len: n, Name: name})
	return len(l.p.Slots) - 1
}

// contiguousView is the row-major view of a whole slot with Gorgonia shape s.
func contiguousView(slot int, s tensor.Shape) View {
	st := make([]int, len(s))
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= s[i]
	}
	return withShape(View{Slot: slot, Host: -1}, s, st)
}

// hostView is a host scalar broadcast to shape s.
func hostView(h int, s tensor.Shape) View {
	return withShape(View{Slot: -1, Host: h}, s, make([]int, len(s)))
}

// dimStrides returns the view's strides per Gorgonia dimension.
func (v View) dimStrides() []int { return append([]int(nil), v.St...) }

// withShape builds the view of shape s with per-dimension strides st. The
// rank-2 form is the last two dimensions; leading dimensions must be 1 (a
// batch of one), a rank-1 (n) is (1, n) and a scalar (1, 1).
func withShape(base View, s tensor.Shape, st []int) View {
	v := base
	v.Shape = s.Clone()
	v.St = append([]int(nil), st...)
	if v.IsHost() {
		clear(v.St)
	}
	r := len(s)
	for i := 0; i < r-2; i++ {
		if s[i] != 1 {
			panic(fmt.Sprintf("shape %v: a leading dimension other than 1 is not supported", s))
		}
	}
	switch {
	case r == 0:
		v.Rows, v.Cols, v.RS, v.CS = 1, 1, 0, 0
	case r == 1:
		v.Rows, v.Cols, v.RS, v.CS = 1, s[0], 0, v.St[0]
	default:
		v.Rows, v.Cols, v.RS, v.CS = s[r-2], s[r-1], v.St[r-2], v.St[r-1]
	}
	return v
}

// last2 returns the shape with its last two dimensions swapped, and the
// strides to match (a transposed operand).
func (v View) transposed() View {
	r := len(v.Shape)
	s, st := v.Shape.Clone(), v.dimStrides()
	s[r-1], s[r-2] = s[r-2], s[r-1]
	st[r-1], st[r-2] = st[r-2], st[r-1]
	return withShape(v, s, st)
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

var (
	reAxes    = regexp.MustCompile(`^\[?([0-9 ]*)\]?$`)
	reSizeVal = regexp.MustCompile(`^SizeOf=(-?[0-9]+)$`)
	reSizeAx  = regexp.MustCompile(`^SizeOf\(([0-9]+)\)$`)
	reReshape = regexp.MustCompile(`^Reshape\(([0-9, ]*)\)$`)
	reTransp  = regexp.MustCompile(`^Aᵀ\{([0-9, ]*)\}$`)
)

func parseInts(s string) ([]int, error) {
	s = strings.NewReplacer(",", " ", "[", " ", "]", " ").Replace(s)
	var out []int
	for _, f := range strings.Fields(s) {
		x, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func (l *lowerer) node(n *G.Node) error {
	op := n.Op()
	in := l.in
	if op == nil {
		// An input.
		var role SlotRole
		switch n {
		case in.X:
			role = InputX
		case in.Y:
			role = InputY
		case in.W:
			role = ParamW
		case in.B:
			role = ParamB
		case in.Lambda:
			l.p.Host = append(l.p.Host, HostOp{Lambda: true, Node: n.Name()})
			l.vals[n.ID()] = &value{view: hostView(len(l.p.Host)-1, n.Shape())}
			l.p.Ops["input"]++
			return nil
		default:
			return fmt.Errorf("input node %s is not one of X, Y, lambda, W, b", n.Name())
		}
		l.p.Ops["input"]++
		s := n.Shape()
		l.vals[n.ID()] = &value{view: contiguousView(l.newSlot(role, s.TotalSize(), n.Name()), s)}
		return nil
	}
	kind := OpKind(op)
	l.p.Ops[kind]++
	ch := l.children(n)
	args := make([]View, len(ch))
	for i, c := range ch {
		v := l.vals[c.ID()]
		if v == nil {
			return fmt.Errorf("input %s not lowered", c.Name())
		}
		args[i] = v.view
	}
	out := n.Shape()
	set := func(v View) { l.vals[n.ID()] = &value{view: v} }
	typ := strings.TrimPrefix(strings.TrimPrefix(fmt.Sprintf("%T", op), "*"), "gorgonia.")
	s := op.String()
	switch typ {
	case "constantScalar":
		val, err := op.Do()
		if err != nil {
			return err
		}
		x, err := toFloat(val.Data())
		if err != nil {
			return err
		}
		set(hostView(l.hostConst(x, n.Name()), tensor.ScalarShape()))
	case "sizeOp":
		var x int
		if m := reSizeVal.FindStringSubmatch(s); m != nil {
			x, _ = strconv.Atoi(m[1])
		} else if m := reSizeAx.FindStringSubmatch(s); m != nil {
			ax, _ := strconv.Atoi(m[1])
			cs := ch[0].Shape()
			if ax >= len(cs) {
				return fmt.Errorf("%s of shape %v", s, cs)
			}
			x = cs[ax]
		} else {
			return fmt.Errorf("op %q (%s): unknown form", s, kind)
		}
		set(hostView(l.hostConst(float64(x), n.Name()), tensor.ScalarShape()))
	case "reshapeOp":
		if reReshape.FindStringSubmatch(s) == nil {
			return fmt.Errorf("op %q (%s): unknown form", s, kind)
		}
		set(l.reshape(args[0], out, n.Name()))
	case "transposeOp":
		m := reTransp.FindStringSubmatch(s)
		if m == nil {
			return fmt.Errorf("op %q (%s): unknown form", s, kind)
		}
		pat, err := parseInts(m[1])
		if err != nil || len(pat) != len(args[0].Shape) {
			return fmt.Errorf("op %q: bad pattern", s)
		}
		st := args[0].dimStrides()
		nst := make([]int, len(pat))
		for i, a := range pat {
			nst[i] = st[a]
		}
		set(withShape(args[0], out, nst))
	case "repeatOp":
		axes, err := parseInts(strings.TrimPrefix(s, "Repeat"))
		if err != nil || len(axes) != 1 || len(ch) != 2 {
			return fmt.Errorf("op %q (%s): unknown form", s, kind)
		}
		ax := axes[0]
		a := args[0]
		if !args[1].IsHost() {
			return fmt.Errorf("%s: the repeat count is computed on the device", s)
		}
		cnt, ok := l.consts[args[1].Host]
		if !ok {
			return fmt.Errorf("%s: the repeat count is not a constant", s)
		}
		as := a.Shape
		if len(as) == 0 {
			// A scalar repeated is a vector.
			as = tensor.Shape{1}
			a = withShape(a, as, []int{0})
		}
		if ax >= len(as) || len(out) != len(as) {
			return fmt.Errorf("%s of shape %v to %v: unsupported", s, as, out)
		}
		if as[ax] != 1 {
			return fmt.Errorf("%s along an axis of size %d: only broadcasting (size 1) is supported", s, as[ax])
		}
		if out[ax] != int(cnt) {
			return fmt.Errorf("%s: count %v does not give shape %v", s, cnt, out)
		}
		st := a.dimStrides()
		st[ax] = 0
		set(withShape(a, out, st))
	case "elemBinOp":
		sym, same, _ := strings.Cut(s, " ")
		fn, ok := binarySymbols[sym]
		if !ok {
			return fmt.Errorf("op %q (%s): unknown operator", s, kind)
		}
		if fn >= FnLt && same != "true" {
			return fmt.Errorf("op %q: a comparison returning booleans is not supported", s)
		}
		a, b := args[0], args[1]
		if a.IsHost() && b.IsHost() {
			set(hostView(l.hostOp(fn, []int{a.Host, b.Host}, n.Name()), out))
			return nil
		}
		set(l.emit(Instr{Kind: Binary, Fn: fn, In: []View{l.broadcast(a, out), l.broadcast(b, out)}, Node: n.Name()}, out))
	case "elemUnaryOp":
		fn, ok := unarySymbols[s]
		if !ok {
			return fmt.Errorf("op %q (%s): unknown operator", s, kind)
		}
		if args[0].IsHost() {
			set(hostView(l.hostOp(fn, []int{args[0].Host}, n.Name()), out))
			return nil
		}
		set(l.emit(Instr{Kind: Unary, Fn: fn, In: []View{args[0]}, Node: n.Name()}, out))
	case "sumOp", "maxOp":
		fn := FnSum
		pre := "Σ"
		if typ == "maxOp" {
			fn, pre = FnMax, "MaxAlong"
		}
		if !strings.HasPrefix(s, pre) || reAxes.FindStringSubmatch(strings.TrimPrefix(s, pre)) == nil {
			return fmt.Errorf("op %q (%s): unknown form", s, kind)
		}
		axes, err := parseInts(strings.TrimPrefix(s, pre))
		if err != nil {
			return fmt.Errorf("op %q: %v", s, err)
		}
		set(l.reduce(fn, args[0], axes, out, n.Name()))
	case "linAlgBinOp":
		var ta, tb bool
		switch strings.Replace(s, "×××", "×", 1) { // a batched product of a batch of one is a product
		case "A × B":
		case "Aᵀ × B":
			ta = true
		case "A × Bᵀ":
			tb = true
		case "Aᵀ × Bᵀ":
			ta, tb = true, true
		default:
			return fmt.Errorf("op %q (%s): only matrix products are supported", s, kind)
		}
		a, b := args[0], args[1]
		if len(a.Shape) < 2 || len(b.Shape) < 2 || len(out) < 2 {
			return fmt.Errorf("op %q on %v and %v: need matrices", s, a.Shape, b.Shape)
		}
		if ta {
			a = a.transposed()
		}
		if tb {
			b = b.transposed()
		}
		if a.Cols != b.Rows || out[len(out)-2] != a.Rows || out[len(out)-1] != b.Cols {
			return fmt.Errorf("op %q: %v × %v does not give %v", s, a.Shape, b.Shape, out)
		}
		v, err := l.matmul(a, b, out, n.Name())
		if err != nil {
			return fmt.Errorf("op %q: %w", s, err)
		}
		set(v)
	case "constantTensor":
		val, err := op.Do()
		if err != nil {
			return err
		}
		var xs []float64
		switch d := val.Data().(type) {
		case []float64:
			xs = d
		case []float32:
			for _, x := range d {
				xs = append(xs, float64(x))
			}
		default:
			return fmt.Errorf("constant tensor of %T", d)
		}
		uniform := len(xs) > 0
		for _, x := range xs {
			uniform = uniform && x == xs[0]
		}
		if uniform {
			set(hostView(l.hostConst(xs[0], n.Name()), out))
			return nil
		}
		slot := l.newSlot(Const, len(xs), n.Name())
		l.p.Slots[slot].Init = append([]float64(nil), xs...)
		set(contiguousView(slot, out))
	default:
		return fmt.Errorf("op %q of kind %s is not supported by the cuda lowering", s, kind)
	}
	return nil
}

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

// emit appends ins with a fresh output slot of shape out and returns its view.
func (l *lowerer) emit(ins Instr, out tensor.Shape) View {
	v := contiguousView(0, out)
	ins.Rows, ins.Cols = v.Rows, v.Cols
	ins.Out = l.newSlot(Temp, v.Rows*v.Cols, ins.Node)
	v.Slot = ins.Out
	l.p.Instrs = append(l.p.Instrs, ins)
	return v
}

// broadcast gives a (host scalar) view the shape out.
func (l *lowerer) broadcast(v View, out tensor.Shape) View {
	if v.Shape.Eq(out) {
		return v
	}
	if v.IsHost() || v.Shape.TotalSize() == 1 {
		w := contiguousView(0, out)
		w.Slot, w.Host, w.Off, w.RS, w.CS = v.Slot, v.Host, v.Off, 0, 0
		return w
	}
	panic(fmt.Sprintf("cannot broadcast %v to %v", v.Shape, out))
}

// materialize returns a contiguous view of v's values, adding a copy when
// v is a host scalar or strided.
func (l *lowerer) materialize(v View, why string) View {
	if v.Contiguous() {
		return v
	}
	return l.emit(Instr{Kind: Copy, Fn: FnIdentity, In: []View{v}, Node: why}, v.Shape)
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

// reshape views v with shape to: free for host scalars, contiguous views,
// broadcasts of one element and views that only add or drop unit
// dimensions; a copy otherwise.
func (l *lowerer) reshape(v View, to tensor.Shape, node string) View {
	if v.Shape.TotalSize() != to.TotalSize() {
		panic(fmt.Sprintf("reshape %v to %v", v.Shape, to))
	}
	if v.IsHost() {
		return hostView(v.Host, to)
	}
	st := make([]int, len(to))
	if v.Contiguous() {
		acc := 1
		for i := len(to) - 1; i >= 0; i-- {
			st[i] = acc
			acc *= to[i]
		}
		return withShape(v, to, st)
	}
	if v.RS == 0 && v.CS == 0 {
		return withShape(v, to, st)
	}
	// Same non-unit dimensions in the same order: keep their strides.
	var oldDims, oldSt []int
	for i, d := range v.Shape {
		if d != 1 {
			oldDims, oldSt = append(oldDims, d), append(oldSt, v.dimStrides()[i])
		}
	}
	j := 0
	for i, d := range to {
		if d == 1 {
			continue
		}
		if j >= len(oldDims) || oldDims[j] != d {
			return l.reshape(l.materialize(v, node+" (reshape)"), to, node)
		}
		st[i] = oldSt[j]
		j++
	}
	return withShape(v, to, st)
}

// reduce lowers a sum or max of v along axes (Gorgonia's) to shape out.
func (l *lowerer) reduce(fn int, v View, axes []int, out tensor.Shape, node string) View {
	r := len(v.Shape)
	red := map[int]bool{}
	for _, a := range axes {
		if a < 0 || a >= max(r, 1) {
			panic(fmt.Sprintf("reduction along axis %d of shape %v", a, v.Shape))
		}
		red[a] = true
	}
	if v.IsHost() {
		// A broadcast scalar: the sum is the scalar times the count.
		if fn == FnMax {
			return hostView(v.Host, out)
		}
		cnt := 1
		for a := range red {
			if a < r {
				cnt *= v.Shape[a]
			}
		}
		return hostView(l.hostOp(FnMul, []int{v.Host, l.hostConst(float64(cnt), node)}, node), out)
	}
	// Rank-2 axis: the rank-1 (n) view is (1, n); leading dimensions are 1.
	var axis int
	switch {
	case r <= 1:
		axis = -1
	case red[r-2] && red[r-1]:
		axis = -1
	case red[r-2]:
		axis = 0
	case red[r-1]:
		axis = 1
	default:
		// Only leading unit dimensions are reduced: a reshape.
		return l.reshape(v, out, node)
	}
	return l.emit(Instr{Kind: Reduce, Fn: fn, Axis: axis, In: []View{v}, Node: node}, out)
}

func toFloat(x any) (float64, error) {
	switch v := x.(type) {
	case float64:
		return v, nil
	case float32:
		return float64(v), nil
	case int:
		return float64(v), nil
	}
	return 0, fmt.Errorf("constant of type %T", x)
}

// applyFn computes an elementwise function in float64 (host scalars and the
// reference backend's float64 path).
func applyFn(fn int, x ...float64) float64 {
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	switch fn {
	case FnAdd:
		return x[0] + x[1]
	case FnSub:
		return x[0] - x[1]
	case FnMul:
		return x[0] * x[1]
	case FnDiv:
		return x[0] / x[1]
	case FnPow:
		return math.Pow(x[0], x[1])
	case FnLt:
		return b2f(x[0] < x[1])
	case FnGt:
		return b2f(x[0] > x[1])
	case FnLe:
		return b2f(x[0] <= x[1])
	case FnGe:
		return b2f(x[0] >= x[1])
	case FnEq:
		return b2f(x[0] == x[1])
	case FnNe:
		return b2f(x[0] != x[1])
	case FnExp:
		return math.Exp(x[0])
	case FnLn:
		return math.Log(x[0])
	case FnNeg:
		return -x[0]
	case FnSquare:
		return x[0] * x[0]
	case FnSqrt:
		return math.Sqrt(x[0])
	case FnAbs:
		return math.Abs(x[0])
	case FnSign:
		switch {
		case x[0] > 0:
			return 1
		case x[0] < 0:
			return -1
		}
		return 0
	case FnInv:
		return 1 / x[0]
	case FnCube:
		return x[0] * x[0] * x[0]
	case FnTanh:
		return math.Tanh(x[0])
	case FnSigmoid:
		return 1 / (1 + math.Exp(-x[0]))
	case FnLog1p:
		return math.Log1p(x[0])
	case FnExpm1:
		return math.Expm1(x[0])
	case FnIdentity:
		return x[0]
	}
	panic(fmt.Sprintf("function %d", fn))
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
