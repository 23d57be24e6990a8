package cuda

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

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
		l.p.Ops["input"]++
		if n == in.Lambda {
			l.p.Host = append(l.p.Host, HostOp{Lambda: true, Node: n.Name()})
			l.vals[n.ID()] = &value{view: hostView(len(l.p.Host)-1, n.Shape())}
			return nil
		}
		is, ok := l.inputs[n]
		if !ok {
			return fmt.Errorf("input node %s is not one of the inputs (X, Y, lambda, the parameters)", n.Name())
		}
		s := n.Shape()
		name := n.Name()
		if is.name != "" {
			name = is.name
		}
		slot := l.newSlot(is.role, s.TotalSize(), name)
		l.p.Slots[slot].Seg = is.seg
		l.vals[n.ID()] = &value{view: contiguousView(slot, s)}
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
	case "graph.spreadOp":
		// A column spread over the columns (the losses' shift): a view
		// with stride 0 along them, as a Repeat of a column.
		a := args[0]
		if len(a.Shape) != 2 || a.Shape[1] != 1 || len(out) != 2 || out[0] != a.Shape[0] {
			return fmt.Errorf("%s of shape %v to %v: unsupported", s, a.Shape, out)
		}
		st := a.dimStrides()
		st[1] = 0
		set(withShape(a, out, st))
	case "graph.spreadRowsOp":
		// A vector spread over the rows: stride 0 along them.
		a := args[0]
		if len(a.Shape) != 1 || len(out) != 2 || out[1] != a.Shape[0] {
			return fmt.Errorf("%s of shape %v to %v: unsupported", s, a.Shape, out)
		}
		set(withShape(a, out, []int{0, a.dimStrides()[0]}))
	case "graph.rowSumOp", "graph.colSumOp":
		// The sums of each row (column) of a matrix: Σ along axis 1 (0).
		if len(args[0].Shape) != 2 {
			return fmt.Errorf("%s of shape %v: unsupported", s, args[0].Shape)
		}
		ax := 1
		if typ == "graph.colSumOp" {
			ax = 0
		}
		set(l.reduce(FnSum, args[0], []int{ax}, out, n.Name()))
	case "graph.rowMaxOp":
		// Each row's max: Max along axis 1, as Gorgonia's maxOp.
		if len(args[0].Shape) != 2 {
			return fmt.Errorf("%s of shape %v: unsupported", s, args[0].Shape)
		}
		set(l.reduce(FnMax, args[0], []int{1}, out, n.Name()))
	case "graph.rowMaxGradOp":
		// g[i] · (x[i, j] == m[i]): the Eq and the product of Gorgonia's
		// Max gradient, m and g spread over the columns (stride 0).
		x, m, g := args[0], args[1], args[2]
		if len(x.Shape) != 2 || len(m.Shape) != 1 || len(g.Shape) != 1 || x.IsHost() {
			return fmt.Errorf("%s of shapes %v, %v, %v: unsupported", s, x.Shape, m.Shape, g.Shape)
		}
		spread := func(v View) View {
			if v.IsHost() {
				return l.broadcast(v, out)
			}
			return withShape(v, out, []int{v.dimStrides()[0], 0})
		}
		eq := l.emit(Instr{Kind: Binary, Fn: FnEq, In: []View{spread(m), x}, Node: n.Name()}, out)
		set(l.emit(Instr{Kind: Binary, Fn: FnMul, In: []View{spread(g), eq}, Node: n.Name()}, out))
	case "graph.sumSquaresOp":
		// ‖x‖² of a matrix: the squares, then Σ along both axes.
		a := args[0]
		if len(a.Shape) != 2 || a.IsHost() {
			return fmt.Errorf("%s of shape %v: unsupported", s, a.Shape)
		}
		sq := l.emit(Instr{Kind: Unary, Fn: FnSquare, In: []View{a}, Node: n.Name()}, a.Shape)
		set(l.reduce(FnSum, sq, []int{0, 1}, out, n.Name()))
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
	case "elemUnaryOp", "graph.expOp":
		sym := s
		if typ == "graph.expOp" {
			sym = "exp" // G.Exp written into a register
		}
		fn, ok := unarySymbols[sym]
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
