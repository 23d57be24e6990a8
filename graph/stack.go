package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gtrain/gtrain/graph/internal/tapevm"
)

// Stack is the compiled Gorgonia graph of M one-layer classifiers trained
// on the same rows: members' parameters stacked along a leading member
// dimension, W as M×K×d (member-major: member m's K×d matrix is rows
// [mK, (m+1)K) of an MK×d matrix) and b as M×K. Each member has its own
// loss; members with the same loss next to each other form a segment, and
// each segment is one product X W_segᵀ (a stack of one loss is one product
// X W_allᵀ), its scores reshaped from rows×(M_seg·K) to (rows·M_seg)×K
// so that the lone Net's loss formulas apply row by row. The member's
// data term is the mean of its rows' losses; the graph's cost is the sum
// of the members' data terms, so that one gorgonia.Grad yields each
// member's own ∂data/∂W and ∂data/∂b in its rows of the stacked gradient
// (members share no parameter).
//
// The stack is always Lean (NetConfig.Lean): the regularization λ_m‖W_m‖²
// is the caller's, per member (MemberCost; the update adds 2λW), so that
// members may differ in λ without an input per member.
type Stack[T Float] struct {
	losses []Loss
	k, d   int
	rows   int
	p      *Params[T] // K = M·k
	segs   []stackSeg
	g      *G.ExprGraph
	vm     G.VM
	x      *G.Node
	dW, dB []*G.Node // per segment; nil without gradients (dW with FusedUpdate)
	dS     []*G.Node // per segment with FusedUpdate: ∂data/∂(X W_segᵀ)

	reads      G.Nodes
	outData    []G.Value // per segment: M_seg data terms
	outScore   []G.Value // per segment: rows×(M_seg·K); nil with gradients
	outPer     []G.Value // per segment: the rows' losses; nil with gradients
	outDW      []G.Value
	outDB      []G.Value
	outDS      []G.Value // per segment with FusedUpdate: rows×(M_seg·K)
	lastX      []T       // the last Run's inputs (UpdateW)
	rowA, rowB []T       // UpdateW's coefficients and rows to update
	rowOn      []bool
	rewind     func()
	run        func() error
	fused      bool  // StackConfig.FusedUpdate
	yBuf       [][]T // per segment: the labels repeated M_seg times
	data, cost []float64
}

// stackSeg is a run of members [from, to) with the same loss.
type stackSeg struct {
	from, to int
	loss     Loss
	y        *G.Node // (rows·M_seg)×K one-hot labels
	w, b     *G.Node
	xw       *G.Node // rows×(M_seg·K): X W_segᵀ
	score    *G.Node // rows×(M_seg·K)
	// flat is score as (rows·M_seg)×K, the losses' input. Evaluation
	// graphs read the scores through it: a Read of score itself came out
	// overwritten by the losses' in-place ops on the view
	// (TestStackMatchesLone compares them).
	flat *G.Node
	data *G.Node // M_seg
	per  *G.Node // rows·M_seg: each row's loss under each member
}

// StackConfig selects what a Stack computes.
type StackConfig struct {
	Losses    []Loss // one per member: M = len(Losses)
	Classes   int    // K per member
	Rows      int    // samples per Run
	Grad      bool   // also compute ∂data/∂W and ∂data/∂b
	TapeReset bool   // as NetConfig.TapeReset
	// FusedUpdate (with Grad) leaves ∂data/∂W out of the graph: it reads
	// ∂data/∂S of the product S = X W_segᵀ instead, and UpdateW forms ∂W
	// from it in the update (UpdateTN), with the bits of the graph's ∂W.
	// The caller checked UpdateTNApplies(Rows, d, Classes): then every
	// segment's M_seg·K rows are as well.
	FusedUpdate bool
}

// NewStack builds and compiles the stacked graph over p, whose K is
// M·cfg.Classes.
func NewStack[T Float](cfg StackConfig, p *Params[T]) (*Stack[T], error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	m := len(cfg.Losses)
	switch {
	case m == 0:
		return nil, fmt.Errorf("graph: a stack of no members")
	case cfg.Classes <= 0 || p.K != m*cfg.Classes:
		return nil, fmt.Errorf("graph: a stack of %d members of %d classes over parameters of K=%d", m, cfg.Classes, p.K)
	case cfg.Rows <= 0:
		return nil, fmt.Errorf("graph: %d rows; need at least one", cfg.Rows)
	}
	s := &Stack[T]{losses: append([]Loss(nil), cfg.Losses...), k: cfg.Classes, d: p.D, rows: cfg.Rows, p: p,
		data: make([]float64, m), cost: make([]float64, m)}
	for i, l := range cfg.Losses {
		if _, err := ParseLoss(string(l)); err != nil {
			return nil, fmt.Errorf("graph: member %d: %w", i, err)
		}
		if i == 0 || l != cfg.Losses[i-1] {
			s.segs = append(s.segs, stackSeg{from: i, loss: l})
		}
		s.segs[len(s.segs)-1].to = i + 1
	}
	s.fused = cfg.Grad && cfg.FusedUpdate
	if err := s.build(cfg.Grad); err != nil {
		return nil, fmt.Errorf("graph: building the stack's graph: %w", err)
	}
	if err := s.compile(cfg.Grad, cfg.TapeReset); err != nil {
		return nil, fmt.Errorf("graph: compiling the stack's graph: %w", err)
	}
	return s, nil
}

func (s *Stack[T]) build(grad bool) (err error) {
	try := func(v *G.Node, e error) *G.Node {
		if err == nil && e != nil {
			err = e
		}
		return v
	}
	dt := Dtype[T]()
	k, d, rows := s.k, s.d, s.rows
	g := G.NewGraph()
	s.g = g
	s.x = G.NewMatrix(g, dt, G.WithShape(rows, d), G.WithName("X"))
	x3 := try(G.Reshape(s.x, tensor.Shape{1, rows, d}))
	ones := G.NewConstant(tensor.New(tensor.WithShape(rows, 1), tensor.WithBacking(fill(rows, T(1)))), G.WithName("ones"))
	var total *G.Node
	var params G.Nodes
	for i := range s.segs {
		sg := &s.segs[i]
		ms := sg.to - sg.from
		// As the lone Net: S = X Wᵀ + 1 b with W read in place (transB);
		// the segment's W and b are views of the stacked parameters.
		// W is a 1×(M_seg·K)×d tensor, the product's operand as it is: a
		// Reshape of a K×d W would make Grad's ∂W a reshaped register, which
		// the TapeMachine reallocates (2 MB at M = 16) every Run.
		sg.w = G.NewTensor(g, dt, 3, G.WithShape(1, ms*k, d), G.WithName(fmt.Sprintf("W%d", i)),
			G.WithValue(tensor.New(tensor.WithShape(1, ms*k, d), tensor.WithBacking(s.p.W[sg.from*k*d:sg.to*k*d]))))
		sg.b = G.NewMatrix(g, dt, G.WithShape(1, ms*k), G.WithName(fmt.Sprintf("b%d", i)),
			G.WithValue(tensor.New(tensor.WithShape(1, ms*k), tensor.WithBacking(s.p.B[sg.from*k:sg.to*k]))))
		sg.y = G.NewMatrix(g, dt, G.WithShape(rows*ms, k), G.WithName(fmt.Sprintf("Y%d", i)))
		sg.xw = try(G.Reshape(try(G.BatchedMatMul(x3, sg.w, false, true)), tensor.Shape{rows, ms * k}))
		sg.score = try(G.Add(sg.xw, try(G.Mul(ones, sg.b))))
		if err != nil {
			return err
		}
		// Row i·M_seg + m of the reshaped scores is sample i's scores
		// under member m.
		sg.flat = try(G.Reshape(sg.score, tensor.Shape{rows * ms, k}))
		per, e := lossPerSample(sg.loss, sg.flat, sg.y, rows*ms)
		if e != nil {
			return e
		}
		sg.per = per
		// Mean along the rows as G.Mean computes it (sum, then divide by
		// the count), the sum by colSums: Sum's bits without its Repeat.
		count := G.NewConstant(any(T(rows)), G.WithName("rows"))
		sg.data = try(G.HadamardDiv(try(colSums(try(G.Reshape(per, tensor.Shape{rows, ms})))), count))
		sum := try(G.Sum(sg.data))
		if total == nil {
			total = sum
		} else {
			total = try(G.Add(total, sum))
		}
		params = append(params, sg.w, sg.b)
	}
	if err != nil || !grad {
		return err
	}
	grads, err := G.Grad(total, params...)
	if err != nil {
		return err
	}
	for i := range s.segs {
		if s.fused {
			// Grad differentiates with respect to inputs only: it is
			// taken for W, and the product's own gradient read (the
			// pruning to the reads drops ∂W's product).
			ds := s.segs[i].xw.Deriv()
			if ds == nil {
				return fmt.Errorf("graph: no gradient of segment %d's product", i)
			}
			s.dS = append(s.dS, ds)
		} else {
			s.dW = append(s.dW, grads[2*i])
		}
		s.dB = append(s.dB, grads[2*i+1])
	}
	return nil
}

// compile prunes the graph to the outputs (as Net.compile) and compiles
// it for the TapeMachine; scores are read only by evaluation graphs.
func (s *Stack[T]) compile(grad, tapeReset bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gorgonia: %v", r)
		}
	}()
	n := len(s.segs)
	s.outData, s.outDW, s.outDB, s.outDS = make([]G.Value, n), make([]G.Value, n), make([]G.Value, n), make([]G.Value, n)
	s.yBuf = make([][]T, n)
	if !grad {
		s.outScore, s.outPer = make([]G.Value, n), make([]G.Value, n)
	}
	for i := range s.segs {
		sg := &s.segs[i]
		ms := sg.to - sg.from
		s.yBuf[i] = make([]T, s.rows*ms*s.k)
		s.reads = append(s.reads, G.Read(sg.data, &s.outData[i]))
		if grad {
			s.outDB[i] = tensor.New(tensor.Of(Dtype[T]()), tensor.WithShape(1, ms*s.k))
			s.reads = append(s.reads, G.Read(s.dB[i], &s.outDB[i]))
			if s.fused {
				s.outDS[i] = tensor.New(tensor.Of(Dtype[T]()), tensor.WithShape(s.rows, ms*s.k))
				s.reads = append(s.reads, G.Read(s.dS[i], &s.outDS[i]))
			} else {
				s.outDW[i] = tensor.New(tensor.Of(Dtype[T]()), tensor.WithShape(1, ms*s.k, s.d))
				s.reads = append(s.reads, G.Read(s.dW[i], &s.outDW[i]))
			}
		} else {
			s.outScore[i] = tensor.New(tensor.Of(Dtype[T]()), tensor.WithShape(s.rows*ms, s.k))
			s.outPer[i] = tensor.New(tensor.Of(Dtype[T]()), tensor.WithShape(s.rows*ms))
			s.reads = append(s.reads, G.Read(sg.flat, &s.outScore[i]), G.Read(sg.per, &s.outPer[i]))
		}
	}
	s.g = s.g.ExactSubgraphRoots(s.reads...)
	prog, locMap, err := G.Compile(s.g)
	if err != nil {
		return err
	}
	s.vm = G.NewTapeMachine(s.g, G.WithPrecompiled(prog, locMap))
	if !tapeReset {
		s.rewind, s.run = tapevm.Rewinder(s.vm), tapevm.Runner(s.vm)
	}
	return nil
}

// Members returns M.
func (s *Stack[T]) Members() int { return len(s.losses) }

// Rows returns the number of samples per Run.
func (s *Stack[T]) Rows() int { return s.rows }

// Graph returns the expression graph (for inspection and lowering).
func (s *Stack[T]) Graph() *G.ExprGraph { return s.g }

// Nodes returns the graph's named nodes.
func (s *Stack[T]) Nodes() StackNodes {
	nn := StackNodes{X: s.x}
	for i, sg := range s.segs {
		seg := StackSegment{From: sg.from, To: sg.to, Loss: sg.loss, Y: sg.y, W: sg.w, B: sg.b, Scores: sg.flat, Data: sg.data}
		if s.dW != nil {
			seg.GradW, seg.GradB = s.dW[i], s.dB[i]
		}
		nn.Segments = append(nn.Segments, seg)
	}
	return nn
}

// StackNodes are the nodes of a Stack that other code reads or feeds: the
// input X (rows×d) and each segment's.
type StackNodes struct {
	X        *G.Node
	Segments []StackSegment // in member order
}

// StackSegment is the nodes of the segment of members [From, To), of
// loss Loss; M_seg = To − From.
type StackSegment struct {
	From, To int
	Loss     Loss
	Y        *G.Node // input: (rows·M_seg)×K, the labels repeated per member
	W, B     *G.Node // 1×(M_seg·K)×d and 1×(M_seg·K), views of the stacked parameters
	// Scores is (rows·M_seg)×K: row i·M_seg + m holds sample i's scores
	// under member From + m (the node evaluation graphs read).
	Scores       *G.Node
	Data         *G.Node // the M_seg data terms (a scalar when M_seg = 1)
	GradW, GradB *G.Node // ∂data/∂W, ∂data/∂b; nil without gradients
}

// Run evaluates the graph on a batch: x holds Rows() samples of d values
// row-major (used in place), y their one-hot labels (Rows()×K), repeated
// for each member inside.
func (s *Stack[T]) Run(x, y []T) error {
	k, d := s.k, s.d
	if len(x) != s.rows*d || len(y) != s.rows*k {
		return fmt.Errorf("graph: Run got %d inputs and %d labels, want %d×%d and %d×%d", len(x), len(y), s.rows, d, s.rows, k)
	}
	if s.rewind != nil {
		s.rewind()
	} else {
		s.vm.Reset()
	}
	if err := G.Let(s.x, tensor.New(tensor.WithShape(s.rows, d), tensor.WithBacking(x))); err != nil {
		return err
	}
	for i := range s.segs {
		sg := &s.segs[i]
		ms := sg.to - sg.from
		yr := s.yBuf[i]
		for r := 0; r < s.rows; r++ {
			for m := 0; m < ms; m++ {
				copy(yr[(r*ms+m)*k:(r*ms+m+1)*k], y[r*k:(r+1)*k])
			}
		}
		if err := G.Let(sg.y, tensor.New(tensor.WithShape(s.rows*ms, k), tensor.WithBacking(yr))); err != nil {
			return err
		}
	}
	s.lastX = x
	run := s.vm.RunAll
	if s.run != nil {
		run = s.run
	}
	if err := run(); err != nil {
		return fmt.Errorf("graph: running the stack's graph: %w", err)
	}
	for i := range s.segs {
		sg := &s.segs[i]
		switch v := s.outData[i].Data().(type) {
		case []T:
			for m, x := range v {
				s.data[sg.from+m] = float64(x)
			}
		case T: // a segment of one member: Mean gives a scalar
			s.data[sg.from] = float64(v)
		default:
			return fmt.Errorf("graph: the stack's data terms hold %T", v)
		}
	}
	return nil
}

// Loss returns member m's data term (mean loss over the rows) of the last
// Run.
func (s *Stack[T]) Loss(m int) float64 { return s.data[m] }

// AddLosses adds to sums[m], for every member m in row order, the loss of
// each row of the last Run of an evaluation graph (built without
// gradients): summed in T from sums' values, as the data term's Mean sums
// them, so that the sums over blocks of rows are the sums over the rows of
// one block, bit for bit (TestStackLossSums).
func (s *Stack[T]) AddLosses(sums []T) {
	for i := range s.segs {
		sg := &s.segs[i]
		ms := sg.to - sg.from
		per := s.outPer[i].Data().([]T)
		for m := 0; m < ms; m++ {
			acc := sums[sg.from+m]
			for r := 0; r < s.rows; r++ {
				acc += per[r*ms+m]
			}
			sums[sg.from+m] = acc
		}
	}
}

// MeanOf returns sum/n in T: the data term's Mean of n rows whose losses
// sum to sum (AddLosses).
func MeanOf[T Float](sum T, n int) float64 { return float64(sum / T(n)) }

// Scores returns member m's Rows()×K scores of the last Run of an
// evaluation graph (built without gradients) into dst, row-major.
func (s *Stack[T]) Scores(dst []T, m int) []T {
	i := s.segOf(m)
	sg := &s.segs[i]
	ms, k := sg.to-sg.from, s.k
	all := s.outScore[i].Data().([]T)
	dst = dst[:0]
	off := (m - sg.from) * k
	for r := 0; r < s.rows; r++ {
		row := all[r*ms*k:]
		dst = append(dst, row[off:off+k]...)
	}
	return dst
}

// GradW returns member m's ∂data/∂W (K×d, row-major) of the last Run: a
// view owned by the graph, valid until the next Run; nil with FusedUpdate.
func (s *Stack[T]) GradW(m int) []T {
	if s.fused {
		return nil
	}
	i := s.segOf(m)
	kd := s.k * s.d
	off := (m - s.segs[i].from) * kd
	return s.outDW[i].Data().([]T)[off : off+kd]
}

// GradB returns member m's ∂data/∂b (K) of the last Run.
func (s *Stack[T]) GradB(m int) []T {
	i := s.segOf(m)
	off := (m - s.segs[i].from) * s.k
	return s.outDB[i].Data().([]T)[off : off+s.k]
}

func (s *Stack[T]) segOf(m int) int {
	for i, sg := range s.segs {
		if m < sg.to {
			return i
		}
	}
	panic(fmt.Sprintf("graph: member %d of a stack of %d", m, len(s.losses)))
}

// Close releases the machine.
func (s *Stack[T]) Close() error { return s.vm.Close() }

// Member returns member m's parameters of the stacked p (K = M·k): views
// of p's slices.
func Member[T Float](p *Params[T], m, k int) *Params[T] {
	kd := k * p.D
	return &Params[T]{K: k, D: p.D, W: p.W[m*kd : (m+1)*kd : (m+1)*kd], B: p.B[m*k : (m+1)*k : (m+1)*k]}
}

// MemberCost returns data + λ‖W‖² for a member of a Stack as the lone
// Lean Net computes it, in T: ‖W‖² as one dot product (SkinnyBLAS's 1×1
// product), then the sum.
func MemberCost[T Float](data float64, lambda float64, w []T) float64 {
	sq := Dot(w, w)
	return float64(T(data) + T(lambda)*sq)
}

// MemberEvalCost returns data + λ‖W‖² for a member of an evaluation Stack
// as the lone evaluation Net (not Lean) computes it, in T: Σ W² summed in
// order (Gorgonia's Sum of Square), times λ, plus the data term.
func MemberEvalCost[T Float](data float64, lambda float64, w []T) float64 {
	var sq T
	for _, v := range w {
		sq += T(v * v) // T(…) rounds the product: no fused multiply-add
	}
	return float64(T(data) + T(lambda)*sq)
}
