package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gtrain/gtrain/graph/internal/tapevm"
)

// Net is the compiled Gorgonia graph of the classifier for a fixed number of
// rows: the scores, the loss, the cost (loss + λ‖W‖²) and, when built with
// gradients, ∂cost/∂W and ∂cost/∂b: the loss's by reverse-mode autodiff
// (gorgonia.Grad), plus 2λW for the regularization, as a graph op.
//
// W and b are bound to the slices of a Params value, so an update of the
// params in place is seen by the next Run without copying; several Nets (a
// training graph and evaluation graphs of other sizes) can share one Params.
type Net[T Float] struct {
	loss  Loss
	rows  int
	p     *Params[T]
	g     *G.ExprGraph
	vm    G.VM
	x, y  *G.Node // inputs: X (n×d) and the one-hot labels Y (n×K)
	lam   *G.Node // λ, a scalar input
	w, b  *G.Node
	score *G.Node // n×K
	data  *G.Node // the data term of the cost (mean loss over the rows)
	cost  *G.Node
	dW    *G.Node // nil without gradients
	dB    *G.Node

	// The TapeMachine reuses registers, so a node's Value after a run may
	// hold a later op's result; Read ops copy the outputs out as they are
	// computed.
	outScore, outData, outCost, outDW, outDB G.Value
	reads                                    G.Nodes

	// rewind and run replace the TapeMachine's Reset and RunAll when
	// non-nil (package tapevm).
	rewind func()
	run    func() error
}

// NetConfig selects what a Net computes.
type NetConfig struct {
	Loss Loss
	Rows int  // samples per Run
	Grad bool // also compute ∂cost/∂W and ∂cost/∂b
	// Lean builds the CPU engine's training graph, lighter on Gorgonia's
	// TapeMachine than the plain one (about a fifth of a batch-100 step):
	//   - ∂W is Grad's ∂data/∂W alone: the caller adds 2λW (the CPU engine
	//     does, in its update W ← (1−2ηλ)W − η ∂data/∂W), two K×d passes of
	//     Gorgonia's scalar loops fewer;
	//   - ‖W‖² is the product of W as a 1×Kd row with W as a Kd×1 column,
	//     which SkinnyBLAS runs as a dot, instead of Σ Square(W): Square
	//     clones W each Run.
	// gradcheck and the CUDA lowering use the plain graph.
	Lean bool
	// TapeReset runs the TapeMachine through its public API, Reset and
	// RunAll, instead of package tapevm's shortcuts (for comparisons and to
	// tell a tapevm bug from others; gtrain bench --tape-reset). The
	// outputs are the same bits either way (TestTapeShortcuts).
	TapeReset bool
}

// NewNet builds and compiles the graph for cfg over the parameters p.
func NewNet[T Float](cfg NetConfig, p *Params[T]) (*Net[T], error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if cfg.Rows <= 0 {
		return nil, fmt.Errorf("graph: %d rows; need at least one", cfg.Rows)
	}
	if _, err := ParseLoss(string(cfg.Loss)); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	n := &Net[T]{loss: cfg.Loss, rows: cfg.Rows, p: p}
	if err := n.build(cfg); err != nil {
		return nil, fmt.Errorf("graph: building the %s graph: %w", cfg.Loss, err)
	}
	if err := n.compile(cfg.TapeReset); err != nil {
		return nil, fmt.Errorf("graph: compiling the %s graph: %w", cfg.Loss, err)
	}
	return n, nil
}

// compile prunes the graph to what the outputs need and compiles it for
// Gorgonia's TapeMachine. Pruning matters: Grad differentiates the matrix
// product for both operands, so the full graph also computes ∂cost/∂X, an
// n×d product that training never reads. tapeReset is NetConfig.TapeReset.
func (n *Net[T]) compile(tapeReset bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gorgonia: %v", r)
		}
	}()
	k, d := n.p.K, n.p.D
	n.outScore = tensor.New(tensor.Of(Dtype[T]()), tensor.WithShape(n.rows, k))
	read := func(nd *G.Node, into *G.Value) {
		n.reads = append(n.reads, G.Read(nd, into))
	}
	read(n.score, &n.outScore)
	read(n.data, &n.outData)
	read(n.cost, &n.outCost)
	if n.dW != nil {
		n.outDW = tensor.New(tensor.Of(Dtype[T]()), tensor.WithShape(k, d))
		n.outDB = tensor.New(tensor.Of(Dtype[T]()), tensor.WithShape(1, k))
		read(n.dW, &n.outDW)
		read(n.dB, &n.outDB)
	}
	n.g = n.g.ExactSubgraphRoots(n.reads...)
	prog, locMap, err := G.Compile(n.g)
	if err != nil {
		return err
	}
	n.vm = G.NewTapeMachine(n.g, G.WithPrecompiled(prog, locMap))
	if !tapeReset {
		n.rewind, n.run = tapevm.Rewinder(n.vm), tapevm.Runner(n.vm)
	}
	return nil
}

// Dtype returns the tensor dtype of T.
func Dtype[T Float]() tensor.Dtype {
	var z T
	if _, ok := any(z).(float32); ok {
		return tensor.Float32
	}
	return tensor.Float64
}

func (n *Net[T]) build(cfg NetConfig) (err error) {
	// Gorgonia reports construction errors by return value; a small sticky
	// error keeps the formulas readable.
	try := func(v *G.Node, e error) *G.Node {
		if err == nil && e != nil {
			err = e
		}
		return v
	}
	dt := Dtype[T]()
	k, d, rows := n.p.K, n.p.D, n.rows
	g := G.NewGraph()
	n.g = g
	n.x = G.NewMatrix(g, dt, G.WithShape(rows, d), G.WithName("X"))
	n.y = G.NewMatrix(g, dt, G.WithShape(rows, k), G.WithName("Y"))
	n.lam = G.NewScalar(g, dt, G.WithName("lambda"))
	n.w = G.NewMatrix(g, dt, G.WithShape(k, d), G.WithName("W"),
		G.WithValue(tensor.New(tensor.WithShape(k, d), tensor.WithBacking(n.p.W))))
	n.b = G.NewMatrix(g, dt, G.WithShape(1, k), G.WithName("b"),
		G.WithValue(tensor.New(tensor.WithShape(1, k), tensor.WithBacking(n.p.B))))

	// S = X Wᵀ + 1 b. The product is a BatchedMatMul of one batch with
	// transB set, so that the BLAS reads W in place (no Transpose copied
	// each step) and Grad's ∂/∂W is Gᵀ X, a (K×n)(n×d) product whose inner
	// loops run along d, not along K. The bias is the outer product of a
	// column of ones with b (a matrix product with an inner dimension of
	// 1), added elementwise: no Repeat of b is materialized, and ∂/∂b is
	// 1ᵀ G. The Reshapes are views of X and W; nothing writes to them (the
	// products read their operands), which TestNetRunIsPure checks.
	x3 := try(G.Reshape(n.x, tensor.Shape{1, rows, d}))
	w3 := try(G.Reshape(n.w, tensor.Shape{1, k, d}))
	xw := try(G.Reshape(try(G.BatchedMatMul(x3, w3, false, true)), tensor.Shape{rows, k}))
	ones := G.NewConstant(tensor.New(tensor.WithShape(rows, 1), tensor.WithBacking(fill(rows, T(1)))), G.WithName("ones"))
	n.score = try(G.Add(xw, try(G.Mul(ones, n.b))))
	if err != nil {
		return err
	}

	perSample, err := lossPerSample(n.loss, n.score, n.y, rows)
	if err != nil {
		return err
	}
	n.data = try(G.Mean(perSample))
	var sq *G.Node // ‖W‖²
	if cfg.Lean {
		// The product writes a 1×1 value; Sum makes it the scalar the cost
		// adds. (A Reshape of W feeds only products: elementwise ops could
		// write into W through the view.)
		row := try(G.Reshape(n.w, tensor.Shape{1, k * d}))
		col := try(G.Reshape(n.w, tensor.Shape{k * d, 1}))
		sq = try(G.Sum(try(G.Mul(row, col))))
	} else {
		sq = try(G.Sum(try(G.Square(n.w))))
	}
	reg := try(G.Mul(n.lam, sq))
	n.cost = try(G.Add(n.data, reg))
	if err != nil {
		return err
	}
	if cfg.Grad {
		// ∂data/∂W and ∂data/∂b by reverse-mode autodiff; the gradient of
		// λ‖W‖², 2λW, is written into the graph as it is. Differentiated by
		// Grad, λ Sum(Square(W)) becomes Repeats of λ to K×d (Gorgonia
		// repeats element by element: a fifth of a step's time) times 2W.
		// (‖W‖² as a product w wᵀ would spare Square's K×d temporary, but
		// the CUDA lowering expects the graph's two products only.)
		grads, e := G.Grad(n.data, n.w, n.b)
		if e != nil {
			return e
		}
		n.dW = grads[0]
		if !cfg.Lean {
			two := G.NewConstant(T(2), G.WithName("two"))
			// 2λW first: the sum is then written over that fresh value in
			// place, where the other order allocates a third K×d value.
			n.dW = try(G.Add(try(G.HadamardProd(n.w, try(G.Mul(n.lam, two)))), grads[0]))
		}
		n.dB = grads[1]
	}
	return nil
}

// Rows returns the number of samples per Run.
func (n *Net[T]) Rows() int { return n.rows }

// Graph returns the expression graph (for inspection and lowering).
func (n *Net[T]) Graph() *G.ExprGraph { return n.g }

// Nodes returns the graph's named nodes.
func (n *Net[T]) Nodes() NetNodes {
	return NetNodes{X: n.x, Y: n.y, Lambda: n.lam, W: n.w, B: n.b, Scores: n.score, Loss: n.data, Cost: n.cost, GradW: n.dW, GradB: n.dB}
}

// NetNodes are the nodes of a Net that other code reads or feeds.
type NetNodes struct {
	X, Y, Lambda, W, B *G.Node
	Scores, Loss, Cost *G.Node
	GradW, GradB       *G.Node // nil without gradients
}

// Run evaluates the graph on a batch: x holds Rows() samples of d values
// row-major, y their one-hot labels (Rows()×K), lambda the regularization
// strength. The slices are used in place, not copied.
func (n *Net[T]) Run(x, y []T, lambda float64) error {
	k, d := n.p.K, n.p.D
	if len(x) != n.rows*d || len(y) != n.rows*k {
		return fmt.Errorf("graph: Run got %d inputs and %d labels, want %d×%d and %d×%d", len(x), len(y), n.rows, d, n.rows, k)
	}
	if n.rewind != nil {
		n.rewind()
	} else {
		n.vm.Reset()
	}
	if err := G.Let(n.x, tensor.New(tensor.WithShape(n.rows, d), tensor.WithBacking(x))); err != nil {
		return err
	}
	if err := G.Let(n.y, tensor.New(tensor.WithShape(n.rows, k), tensor.WithBacking(y))); err != nil {
		return err
	}
	if err := G.Let(n.lam, T(lambda)); err != nil {
		return err
	}
	run := n.vm.RunAll
	if n.run != nil {
		run = n.run
	}
	if err := run(); err != nil {
		return fmt.Errorf("graph: running the %s graph: %w", n.loss, err)
	}
	return nil
}

// Cost returns loss + λ‖W‖² of the last Run.
func (n *Net[T]) Cost() float64 { return scalarOf(n.outCost) }

// Loss returns the data term of the cost (mean loss) of the last Run.
func (n *Net[T]) Loss() float64 { return scalarOf(n.outData) }

// Scores returns the n×K scores of the last Run, row-major. The slice is
// owned by the graph and valid until the next Run.
func (n *Net[T]) Scores() []T { return n.outScore.Data().([]T) }

// GradW returns ∂cost/∂W (K×d, row-major) of the last Run, or ∂data/∂W
// when the Net is Lean; nil without gradients.
func (n *Net[T]) GradW() []T { return gradOf[T](n.outDW) }

// GradB returns ∂cost/∂b (K) of the last Run; nil without gradients.
func (n *Net[T]) GradB() []T { return gradOf[T](n.outDB) }

// Close releases the machine.
func (n *Net[T]) Close() error { return n.vm.Close() }

func gradOf[T Float](v G.Value) []T {
	if v == nil {
		return nil
	}
	return v.Data().([]T)
}

func scalarOf(v G.Value) float64 {
	switch x := v.Data().(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	}
	panic(fmt.Sprintf("graph: output holds %T, not a scalar", v.Data()))
}

func fill[T Float](n int, v T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// lossPerSample builds the loss of each row of the rows×K scores against
// the one-hot labels y: a vector of rows values.
func lossPerSample(loss Loss, score, y *G.Node, rows int) (perSample *G.Node, err error) {
	try := func(v *G.Node, e error) *G.Node {
		if err == nil && e != nil {
			err = e
		}
		return v
	}
	k := score.Shape()[1]
	spread := func(col *G.Node) *G.Node { return try(spreadCols(col, k)) }
	switch loss {
	case CrossEntropy:
		// log Σ_j exp(s_j) − s_y, with the row max c subtracted first for
		// stability: the gradient that reaches c through both terms cancels,
		// so the result is the softmax gradient whatever c is.
		c := try(G.Reshape(try(rowMaxes(score)), tensor.Shape{rows, 1}))
		shifted := try(G.Sub(score, spread(c)))
		logZ := try(G.Log(try(rowSums(try(expOf(shifted))))))
		sy := try(rowSums(try(G.HadamardProd(shifted, y))))
		perSample = try(G.Sub(logZ, sy))
	case SVM:
		// Σ_{j≠y} max(0, s_j − s_y + 1): the mask (1 − Y) removes j = y
		// before the hinge, so no gradient flows through that term.
		one := G.NewConstant(oneOf(score.Dtype()), G.WithName("one"))
		sy := try(G.Reshape(try(rowSums(try(G.HadamardProd(score, y)))), tensor.Shape{rows, 1}))
		margin := try(G.Add(try(G.Sub(score, spread(sy))), one))
		others := try(G.Sub(one, y))
		hinge := try(G.Rectify(try(G.HadamardProd(margin, others))))
		perSample = try(rowSums(hinge))
	default:
		return nil, fmt.Errorf("unknown loss %q", loss)
	}
	return perSample, err
}

// oneOf returns 1 in the dtype dt (float32 or float64).
func oneOf(dt tensor.Dtype) any {
	if dt == tensor.Float32 {
		return float32(1)
	}
	return float64(1)
}
