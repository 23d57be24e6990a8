package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MLP is the compiled Gorgonia graph of a k-layer network (MLPParams) for a
// fixed number of rows: scores, loss, cost = loss + λ Σ_l ‖W_l‖² and, built
// with gradients, ∂cost/∂θ of every trained tensor θ, all by
// gorgonia.Grad. Batch normalization is composed of primitive ops (Mean,
// BroadcastSub, Square, Sqrt, Inverse, BroadcastHadamardProd; ReLU as
// x ⊙ 1[x > 0]), which Grad
// differentiates, rather than Gorgonia's BatchNorm op.
//
// In training (MLPConfig.Train) a normalized layer uses its batch's mean
// and variance, which the MLP also returns so the caller can update the
// running averages; otherwise it uses the running averages held in the
// parameters. The parameter tensors are bound in place, as in Net.
type MLP[T Float] struct {
	tape[T]
	cfg    MLPConfig
	p      *MLPParams[T]
	x, y   *G.Node
	lam    *G.Node
	nodes  []*G.Node // parallel to p.Tensors (nil for the running stats in training)
	score  *G.Node
	data   *G.Node
	cost   *G.Node
	grads  []*G.Node // parallel to p.Trained()
	bnMean []*G.Node // per layer, nil unless normalized in training
	bnVar  []*G.Node
}

// MLPConfig selects what an MLP computes.
type MLPConfig struct {
	Loss  Loss
	Rows  int  // samples per Run
	Grad  bool // also compute the gradients of the trained tensors
	Train bool // batch normalization from the batch's statistics
}

// NewMLP builds and compiles the graph of cfg over the parameters p.
func NewMLP[T Float](cfg MLPConfig, p *MLPParams[T]) (*MLP[T], error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if cfg.Rows <= 0 {
		return nil, fmt.Errorf("graph: %d rows; need at least one", cfg.Rows)
	}
	if _, err := ParseLoss(string(cfg.Loss)); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	if cfg.Grad && !cfg.Train && p.Arch.BatchNorm {
		return nil, fmt.Errorf("graph: gradients of a batch-normalized net need its training graph")
	}
	m := &MLP[T]{cfg: cfg, p: p}
	if err := m.build(); err != nil {
		return nil, fmt.Errorf("graph: building the %s graph: %w", p.Arch, err)
	}
	if err := m.compile(); err != nil {
		return nil, fmt.Errorf("graph: compiling the %s graph: %w", p.Arch, err)
	}
	return m, nil
}

func (m *MLP[T]) build() (err error) {
	try := func(v *G.Node, e error) *G.Node {
		if err == nil && e != nil {
			err = e
		}
		return v
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gorgonia: %v", r)
		}
	}()
	a, rows, dt := m.p.Arch, m.cfg.Rows, Dtype[T]()
	g := G.NewGraph()
	m.g = g
	m.x = G.NewMatrix(g, dt, G.WithShape(rows, a.In), G.WithName("X"))
	m.y = G.NewMatrix(g, dt, G.WithShape(rows, a.Out), G.WithName("Y"))
	m.lam = G.NewScalar(g, dt, G.WithName("lambda"))
	m.nodes = make([]*G.Node, len(m.p.Tensors))
	node := map[*Tensor[T]]*G.Node{}
	for i := range m.p.Tensors {
		t := &m.p.Tensors[i]
		if m.cfg.Train && !t.Kind.Trained() {
			continue
		}
		shape := t.Shape
		if len(shape) == 1 {
			shape = []int{1, shape[0]} // a row, broadcast along the batch
		}
		m.nodes[i] = G.NewMatrix(g, dt, G.WithShape(shape...), G.WithName(t.Name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(t.Data))))
		node[t] = m.nodes[i]
	}
	eps := G.NewConstant(T(BNEpsilon), G.WithName("epsilon"))
	ones := G.NewConstant(tensor.New(tensor.WithShape(rows, 1), tensor.WithBacking(fill(rows, T(1)))), G.WithName("ones"))
	m.bnMean = make([]*G.Node, a.Layers())
	m.bnVar = make([]*G.Node, a.Layers())
	w := a.Widths()
	h := m.x
	var sq *G.Node // Σ_l ‖W_l‖²
	ops := layerOps{try: try, rows: rows, ones: ones, eps: eps, train: m.cfg.Train}
	for l := 0; l < a.Layers(); l++ {
		in, out := w[l], w[l+1]
		W := node[m.p.Find(l, Weight)]
		var b *G.Node
		if t := m.p.Find(l, Bias); t != nil {
			b = node[t]
		}
		s := ops.affine(h, W, b, in, out)
		sq = ops.addSquares(sq, W)
		if a.Normalized(l) {
			bn := func(k TensorKind) *G.Node { return node[m.p.Find(l, k)] } // nil for the running stats in training
			s, m.bnMean[l], m.bnVar[l] = ops.normalize(s, out, bn(BNScale), bn(BNShift), bn(RunningMean), bn(RunningVar))
		}
		if err != nil {
			return err
		}
		if l == a.Layers()-1 {
			m.score = s
			break
		}
		h = try(relu(s))
	}
	if err != nil {
		return err
	}
	perSample, err := lossPerSample(m.cfg.Loss, m.score, m.y, rows)
	if err != nil {
		return err
	}
	m.data = try(G.Mean(perSample))
	m.cost = try(G.Add(m.data, try(G.Mul(m.lam, sq))))
	if err != nil {
		return err
	}
	if m.cfg.Grad {
		var wrt G.Nodes
		for _, t := range m.p.Trained() {
			wrt = append(wrt, node[t])
		}
		if m.grads, err = G.Grad(m.cost, wrt...); err != nil {
			return err
		}
	}
	return nil
}

// layerOps builds the ops of a network's layers, the same for a lone MLP
// and each member of an MLPStack, so that a member computes what the lone
// net does, op for op.
type layerOps struct {
	try       func(*G.Node, error) *G.Node
	rows      int
	ones, eps *G.Node
	train     bool // batch normalization from the batch's statistics
}

// affine returns H Wᵀ (+ 1 b when b is not nil) as Net computes X Wᵀ: one
// batch of BatchedMatMul with transB.
func (o layerOps) affine(h, w, b *G.Node, in, out int) *G.Node {
	try := o.try
	h3 := try(G.Reshape(h, tensor.Shape{1, o.rows, in}))
	w3 := try(G.Reshape(w, tensor.Shape{1, out, in}))
	return o.addBias(try(G.Reshape(try(G.BatchedMatMul(h3, w3, false, true)), tensor.Shape{o.rows, out})), b)
}

// addBias returns s + 1 b, or s when b is nil.
func (o layerOps) addBias(s, b *G.Node) *G.Node {
	if b == nil {
		return s
	}
	return o.try(G.Add(s, o.try(G.Mul(o.ones, b))))
}

// addSquares returns sq + ‖W‖² (‖W‖² when sq is nil).
func (o layerOps) addSquares(sq, w *G.Node) *G.Node {
	w2 := o.try(sumSquares(w))
	if sq == nil {
		return w2
	}
	return o.try(G.Add(sq, w2))
}

// normalize returns γ ⊙ (s − μ)/√(v + ε) + β for the rows×out scores s:
// in training with the batch mean μ and variance v, which it also returns
// (rows 1×out), else with the running averages mean and variance.
func (o layerOps) normalize(s *G.Node, out int, gamma, beta, mean, variance *G.Node) (y, mu, v *G.Node) {
	try := o.try
	var d *G.Node // S − μ
	if o.train {
		mu = try(G.Reshape(try(G.Mean(s, 0)), tensor.Shape{1, out}))
		d = try(G.BroadcastSub(s, mu, nil, []byte{0}))
		v = try(G.Reshape(try(G.Mean(try(G.Square(d)), 0)), tensor.Shape{1, out}))
	} else {
		d = try(G.BroadcastSub(s, mean, nil, []byte{0}))
		v = variance
	}
	// 1/√(v+ε) as Inverse of Sqrt: Gorgonia v0.9.18's InverseSqrt
	// has a wrong gradient (TestMLPGradientsThreeWay caught it).
	inv := try(G.Inverse(try(G.Sqrt(try(G.Add(v, o.eps))))))
	hat := try(G.BroadcastHadamardProd(d, inv, nil, []byte{0}))
	scaled := try(G.BroadcastHadamardProd(hat, gamma, nil, []byte{0}))
	y = try(G.BroadcastAdd(scaled, beta, nil, []byte{0}))
	if !o.train {
		mu, v = nil, nil
	}
	return y, mu, v
}

func (m *MLP[T]) compile() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gorgonia: %v", r)
		}
	}()
	m.read(m.score)
	m.read(m.data)
	m.read(m.cost)
	for _, gr := range m.grads {
		m.read(gr)
	}
	for l := range m.bnMean {
		m.read(m.bnMean[l])
		m.read(m.bnVar[l])
	}
	return m.tape.compile()
}

// Rows returns the number of samples per Run.
func (m *MLP[T]) Rows() int { return m.cfg.Rows }

// Graph returns the expression graph (for inspection and lowering).
func (m *MLP[T]) Graph() *G.ExprGraph { return m.g }

// Run evaluates the graph on a batch: x holds Rows() samples of d values
// row-major, y their one-hot labels, lambda the regularization strength.
func (m *MLP[T]) Run(x, y []T, lambda float64) error {
	a := m.p.Arch
	if len(x) != m.cfg.Rows*a.In || len(y) != m.cfg.Rows*a.Out {
		return fmt.Errorf("graph: Run got %d inputs and %d labels, want %d×%d and %d×%d", len(x), len(y), m.cfg.Rows, a.In, m.cfg.Rows, a.Out)
	}
	m.rewind()
	if err := G.Let(m.x, tensor.New(tensor.WithShape(m.cfg.Rows, a.In), tensor.WithBacking(x))); err != nil {
		return err
	}
	if err := G.Let(m.y, tensor.New(tensor.WithShape(m.cfg.Rows, a.Out), tensor.WithBacking(y))); err != nil {
		return err
	}
	if err := G.Let(m.lam, T(lambda)); err != nil {
		return err
	}
	if err := m.run(); err != nil {
		return fmt.Errorf("graph: running the %s graph: %w", a, err)
	}
	return nil
}

// Cost returns loss + λ Σ‖W_l‖² of the last Run.
func (m *MLP[T]) Cost() float64 { return scalarOf(m.out(m.cost)) }

// Loss returns the mean loss of the last Run.
func (m *MLP[T]) Loss() float64 { return scalarOf(m.out(m.data)) }

// Scores returns the n×K scores of the last Run (owned by the graph).
func (m *MLP[T]) Scores() []T { return m.out(m.score).Data().([]T) }

// Grad returns ∂cost/∂θ of the last Run for the i-th trained tensor
// (p.Trained()[i]), or nil without gradients.
func (m *MLP[T]) Grad(i int) []T {
	if m.grads == nil {
		return nil
	}
	return m.out(m.grads[i]).Data().([]T)
}

// BatchStats returns layer l's batch mean and variance of the last Run, or
// nils unless the layer is normalized in a training graph.
func (m *MLP[T]) BatchStats(l int) (mean, variance []T) {
	if m.bnMean[l] == nil {
		return nil, nil
	}
	return m.out(m.bnMean[l]).Data().([]T), m.out(m.bnVar[l]).Data().([]T)
}

// UpdateRunning moves the running averages of every normalized layer
// towards the last Run's batch statistics: x̄ ← α x̄ + (1−α) x, α =
// BNMomentum. It is the caller's part of a training step.
func (m *MLP[T]) UpdateRunning() {
	for l := range m.bnMean {
		mu, v := m.BatchStats(l)
		if mu == nil {
			continue
		}
		updateRunning(m.p.Find(l, RunningMean).Data, m.p.Find(l, RunningVar).Data, mu, v)
	}
}

// updateRunning sets rm ← α rm + (1−α) mu and rv ← α rv + (1−α) v.
func updateRunning[T Float](rm, rv, mu, v []T) {
	for c := range rm {
		rm[c] = T(BNMomentum)*rm[c] + T(1-BNMomentum)*mu[c]
		rv[c] = T(BNMomentum)*rv[c] + T(1-BNMomentum)*v[c]
	}
}

// Close releases the machine.
func (m *MLP[T]) Close() error { return m.vm.Close() }

// relu is max(0, x) as x ⊙ 1[x > 0]: its gradient at x = 0 is 0, as the
// course's Ind(s > 0) and PyTorch's; Gorgonia's Rectify (x ⊙ 1[x ≥ 0])
// passes the gradient there. A unit's input is exactly 0 where every unit
// feeding it is off, so the choice shows (a dead layer in a narrow net).
func relu(x *G.Node) (*G.Node, error) {
	zero := G.NewConstant(zeroOf(x.Dtype()), G.WithName("zero"))
	on, err := G.Gt(x, zero, true)
	if err != nil {
		return nil, err
	}
	return G.HadamardProd(x, on)
}

// zeroOf returns 0 in the dtype dt (float32 or float64).
func zeroOf(dt tensor.Dtype) any {
	if dt == tensor.Float32 {
		return float32(0)
	}
	return float64(0)
}

// MLPNodes are the nodes of an MLP that other code reads or feeds (the
// CUDA lowering).
type MLPNodes struct {
	X, Y, Lambda       *G.Node
	Params             map[string]*G.Node // the tensors the graph reads, by name
	Scores, Loss, Cost *G.Node
	Grads              map[string]*G.Node // ∂cost/∂θ by trained tensor; nil without gradients
	// BatchMean[l] and BatchVar[l] are layer l's batch statistics (rows
	// 1×width); nil unless the layer is normalized in a training graph.
	BatchMean, BatchVar []*G.Node
}

// Nodes returns the graph's named nodes.
func (m *MLP[T]) Nodes() MLPNodes {
	ns := MLPNodes{X: m.x, Y: m.y, Lambda: m.lam, Params: map[string]*G.Node{},
		Scores: m.score, Loss: m.data, Cost: m.cost, BatchMean: m.bnMean, BatchVar: m.bnVar}
	for i, n := range m.nodes {
		if n != nil {
			ns.Params[m.p.Tensors[i].Name] = n
		}
	}
	if m.grads != nil {
		ns.Grads = map[string]*G.Node{}
		for i, t := range m.p.Trained() {
			ns.Grads[t.Name] = m.grads[i]
		}
	}
	return ns
}
