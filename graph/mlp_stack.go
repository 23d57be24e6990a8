package graph

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MLPStackParams are the parameters of the M members of an MLPStack, all of
// one Arch: every member's W1 in one slice (member-major: member m's
// h1×In matrix is rows [m·h1, (m+1)·h1) of an (M·h1)×In matrix) and its b1
// likewise (none when the first layer is normalized). Members[m] is member
// m's MLPParams, whose W1 and b1 are views into them; its other tensors
// are its own.
type MLPStackParams[T Float] struct {
	Arch    Arch
	W1, B1  []T
	Members []*MLPParams[T]
}

// NewMLPStackParams lays out copies of ps, networks of one architecture
// with hidden layers, for an MLPStack.
func NewMLPStackParams[T Float](ps []*MLPParams[T]) (*MLPStackParams[T], error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("graph: a stack of no networks")
	}
	a := ps[0].Arch
	if a.Linear() {
		return nil, fmt.Errorf("graph: the linear classifier stacks as a Stack, not an MLPStack")
	}
	for i, p := range ps {
		if err := p.check(); err != nil {
			return nil, fmt.Errorf("graph: stack member %d: %w", i, err)
		}
		if !SameArch(p.Arch, a) {
			return nil, fmt.Errorf("graph: stack member %d is a %s network, member 0 a %s one", i, p.Arch, a)
		}
	}
	m, h1 := len(ps), a.Widths()[1]
	sp := &MLPStackParams[T]{Arch: ps[0].Clone().Arch, W1: make([]T, m*h1*a.In)}
	if !a.Normalized(0) {
		sp.B1 = make([]T, m*h1)
	}
	for i, p := range ps {
		q := p.Clone()
		w := q.Find(0, Weight)
		n := h1 * a.In
		copy(sp.W1[i*n:], w.Data)
		w.Data = sp.W1[i*n : (i+1)*n : (i+1)*n]
		if b := q.Find(0, Bias); b != nil {
			copy(sp.B1[i*h1:], b.Data)
			b.Data = sp.B1[i*h1 : (i+1)*h1 : (i+1)*h1]
		}
		sp.Members = append(sp.Members, q)
	}
	return sp, nil
}

// SameArch reports whether a and b are one architecture: inputs, hidden
// widths, classes and batch normalization.
func SameArch(a, b Arch) bool {
	return a.In == b.In && a.Out == b.Out && a.BatchNorm == b.BatchNorm && slices.Equal(a.Hidden, b.Hidden)
}

// MLPStack is the compiled Gorgonia graph of M networks of one architecture
// with hidden layers (MLPStackParams) trained on the same rows, each with
// its own loss and λ. The first layer is one product X W1_allᵀ (+ 1 b1_all)
// for all members; member m's columns of it are sliced out (a contiguous
// copy) and the rest of its network is the lone MLP's ops in the lone
// order (layerOps), on its own tensors: its own batch-normalization
// statistics in training and its own running averages in evaluation.
// Member m's cost is its data term + λ_m Σ_l ‖W_l‖², as the lone MLP's
// (the λ_m are inputs of Run), and the graph's cost their sum.
//
// Gradients: one backpropagation (gorgonia.Grad's) of the summed cost with respect to each
// member's trained tensors and its slice of the first layer's scores; the
// slices' gradients are put side by side (Concat) and propagated through
// the shared first layer once (gorgonia.Backpropagate), so that ∂W1_all is
// one product Gᵀ X. (Grad through the slices would add M zero-padded
// copies of the whole first layer's gradient.) Member m's ∂W1 is its rows
// of that product plus its regularization term, ∂b1 its entries of 1ᵀ G.
//
// On the CPU every value equals the lone MLP's bit for bit
// (TestMLPStackMatchesLone): the products compute each entry as the lone
// ones do whatever the number of rows of W1_all, and a member's other ops
// are the lone ones.
type MLPStack[T Float] struct {
	tape[T]
	cfg   MLPStackConfig
	sp    *MLPStackParams[T]
	x, y  *G.Node
	first *G.Node // rows×(M·h1): X W1_allᵀ (+ 1 b1_all)
	dW1   *G.Node // 1×(M·h1)×In: ∂(Σ data)/∂W1_all; nil without gradients
	dB1   *G.Node // 1×(M·h1); nil without gradients or b1
	ms    []stackMember
	w1Buf [][]T // per member: its whole ∂cost/∂W1
}

// stackMember is one member's nodes in an MLPStack.
type stackMember struct {
	lam    *G.Node
	cols   *G.Node // its columns of the first layer's scores
	dCols  *G.Node // ∂cost/∂cols
	score  *G.Node
	per    *G.Node // each row's loss
	data   *G.Node
	reg    *G.Node // λ Σ_l ‖W_l‖²
	cost   *G.Node
	grads  []*G.Node // parallel to Trained(): W1's regularization part only; nil for b1
	bnMean []*G.Node
	bnVar  []*G.Node
}

// MLPStackConfig selects what an MLPStack computes: as MLPConfig, with a
// loss per member (M = len(Losses)).
type MLPStackConfig struct {
	Losses []Loss
	Rows   int
	Grad   bool
	Train  bool
}

// NewMLPStack builds and compiles the stacked graph over sp, which must
// have len(cfg.Losses) members.
func NewMLPStack[T Float](cfg MLPStackConfig, sp *MLPStackParams[T]) (*MLPStack[T], error) {
	switch {
	case len(cfg.Losses) == 0 || len(cfg.Losses) != len(sp.Members):
		return nil, fmt.Errorf("graph: a stack of %d losses over %d networks", len(cfg.Losses), len(sp.Members))
	case cfg.Rows <= 0:
		return nil, fmt.Errorf("graph: %d rows; need at least one", cfg.Rows)
	case cfg.Grad && !cfg.Train && sp.Arch.BatchNorm:
		return nil, fmt.Errorf("graph: gradients of a batch-normalized net need its training graph")
	}
	for i, l := range cfg.Losses {
		if _, err := ParseLoss(string(l)); err != nil {
			return nil, fmt.Errorf("graph: member %d: %w", i, err)
		}
	}
	s := &MLPStack[T]{cfg: cfg, sp: sp}
	if err := s.build(); err != nil {
		return nil, fmt.Errorf("graph: building the stack of %s graphs: %w", sp.Arch, err)
	}
	if err := s.compile(); err != nil {
		return nil, fmt.Errorf("graph: compiling the stack of %s graphs: %w", sp.Arch, err)
	}
	return s, nil
}

func (s *MLPStack[T]) build() (err error) {
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
	a, rows, dt, m := s.sp.Arch, s.cfg.Rows, Dtype[T](), len(s.sp.Members)
	w := a.Widths()
	h1 := w[1]
	g := G.NewGraph()
	s.g = g
	s.x = G.NewMatrix(g, dt, G.WithShape(rows, a.In), G.WithName("X"))
	s.y = G.NewMatrix(g, dt, G.WithShape(rows, a.Out), G.WithName("Y"))
	eps := G.NewConstant(T(BNEpsilon), G.WithName("epsilon"))
	ones := G.NewConstant(tensor.New(tensor.WithShape(rows, 1), tensor.WithBacking(fill(rows, T(1)))), G.WithName("ones"))
	ops := layerOps{try: try, rows: rows, ones: ones, eps: eps, train: s.cfg.Train}

	// The shared first layer, as the lone affine with W1 a 1×(M·h1)×In
	// tensor read in place (as Stack's W: a Reshape would make its
	// gradient a reshaped register the TapeMachine reallocates).
	w1 := G.NewTensor(g, dt, 3, G.WithShape(1, m*h1, a.In), G.WithName("W1_all"),
		G.WithValue(tensor.New(tensor.WithShape(1, m*h1, a.In), tensor.WithBacking(s.sp.W1))))
	firstWrt := G.Nodes{w1}
	var b1 *G.Node
	if s.sp.B1 != nil {
		b1 = G.NewMatrix(g, dt, G.WithShape(1, m*h1), G.WithName("b1_all"),
			G.WithValue(tensor.New(tensor.WithShape(1, m*h1), tensor.WithBacking(s.sp.B1))))
		firstWrt = append(firstWrt, b1)
	}
	x3 := try(G.Reshape(s.x, tensor.Shape{1, rows, a.In}))
	s.first = ops.addBias(try(G.Reshape(try(G.BatchedMatMul(x3, w1, false, true)), tensor.Shape{rows, m * h1})), b1)

	var total *G.Node
	var wrt G.Nodes
	s.ms = make([]stackMember, m)
	for i, p := range s.sp.Members {
		sm := &s.ms[i]
		sm.lam = G.NewScalar(g, dt, G.WithName(fmt.Sprintf("lambda%d", i)))
		node := map[*Tensor[T]]*G.Node{}
		for j := range p.Tensors {
			t := &p.Tensors[j]
			if (s.cfg.Train && !t.Kind.Trained()) || (t.Layer == 0 && t.Kind == Bias) {
				continue // b1 is b1_all's; W1's node is its regularization's
			}
			shape := t.Shape
			if len(shape) == 1 {
				shape = []int{1, shape[0]}
			}
			node[t] = G.NewMatrix(g, dt, G.WithShape(shape...), G.WithName(fmt.Sprintf("%s_%d", t.Name, i)),
				G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(t.Data))))
		}
		sm.cols = try(G.Slice(s.first, nil, G.S(i*h1, (i+1)*h1)))
		sm.bnMean, sm.bnVar = make([]*G.Node, a.Layers()), make([]*G.Node, a.Layers())
		var h, sq *G.Node
		for l := 0; l < a.Layers(); l++ {
			W := node[p.Find(l, Weight)]
			sc := sm.cols
			if l > 0 {
				var b *G.Node
				if t := p.Find(l, Bias); t != nil {
					b = node[t]
				}
				sc = ops.affine(h, W, b, w[l], w[l+1])
			}
			sq = ops.addSquares(sq, W)
			if a.Normalized(l) {
				bn := func(k TensorKind) *G.Node { return node[p.Find(l, k)] }
				sc, sm.bnMean[l], sm.bnVar[l] = ops.normalize(sc, w[l+1], bn(BNScale), bn(BNShift), bn(RunningMean), bn(RunningVar))
			}
			if err != nil {
				return err
			}
			if l == a.Layers()-1 {
				sm.score = sc
				break
			}
			h = try(relu(sc))
		}
		if err != nil {
			return err
		}
		if sm.per, err = lossPerSample(s.cfg.Losses[i], sm.score, s.y, rows); err != nil {
			return err
		}
		sm.data = try(G.Mean(sm.per))
		sm.reg = try(G.Mul(sm.lam, sq))
		sm.cost = try(G.Add(sm.data, sm.reg))
		if total == nil {
			total = sm.cost
		} else {
			total = try(G.Add(total, sm.cost))
		}
		wrt = append(wrt, sm.cols)
		for _, t := range p.Trained() {
			if nd := node[t]; nd != nil {
				wrt = append(wrt, nd)
			}
		}
	}
	if err != nil || !s.cfg.Grad {
		return err
	}
	// Grad's own start (∂total/∂total = 1), which refuses to differentiate
	// with respect to the slices, not being inputs.
	one := G.NewConstant(T(1), G.WithName("one"))
	grads, err := G.Backpropagate(G.Nodes{total}, G.Nodes{one}, wrt)
	if err != nil {
		return err
	}
	var dCols G.Nodes
	for i, p := range s.sp.Members {
		sm := &s.ms[i]
		sm.dCols, grads = grads[0], grads[1:]
		dCols = append(dCols, sm.dCols)
		for _, t := range p.Trained() {
			if t.Layer == 0 && t.Kind == Bias {
				sm.grads = append(sm.grads, nil)
				continue
			}
			sm.grads, grads = append(sm.grads, grads[0]), grads[1:]
		}
	}
	gFirst := dCols[0]
	if m > 1 {
		gFirst = try(G.Concat(1, dCols...))
	}
	back, err := G.Backpropagate(G.Nodes{s.first}, G.Nodes{gFirst}, firstWrt)
	if err != nil {
		return err
	}
	s.dW1 = back[0]
	if b1 != nil {
		s.dB1 = back[1]
	}
	return err
}

func (s *MLPStack[T]) compile() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gorgonia: %v", r)
		}
	}()
	for i := range s.ms {
		sm := &s.ms[i]
		s.read(sm.data)
		s.read(sm.reg)
		s.read(sm.cost)
		if s.cfg.Grad {
			for _, gr := range sm.grads {
				s.read(gr)
			}
		} else {
			s.read(sm.score)
			s.read(sm.per)
		}
		for l := range sm.bnMean {
			s.read(sm.bnMean[l])
			s.read(sm.bnVar[l])
		}
	}
	s.read(s.dW1)
	s.read(s.dB1)
	if err := s.tape.compile(); err != nil {
		return err
	}
	if s.cfg.Grad {
		s.w1Buf = make([][]T, len(s.ms))
	}
	return nil
}

// Members returns M.
func (s *MLPStack[T]) Members() int { return len(s.ms) }

// Rows returns the number of samples per Run.
func (s *MLPStack[T]) Rows() int { return s.cfg.Rows }

// Graph returns the expression graph (for inspection).
func (s *MLPStack[T]) Graph() *G.ExprGraph { return s.g }

// Run evaluates the graph on a batch: x holds Rows() samples of In values
// row-major (used in place), y their one-hot labels, lambdas each member's
// regularization strength.
func (s *MLPStack[T]) Run(x, y []T, lambdas []float64) error {
	a, rows := s.sp.Arch, s.cfg.Rows
	if len(x) != rows*a.In || len(y) != rows*a.Out || len(lambdas) != len(s.ms) {
		return fmt.Errorf("graph: Run got %d inputs, %d labels and %d λ, want %d×%d, %d×%d and %d", len(x), len(y), len(lambdas), rows, a.In, rows, a.Out, len(s.ms))
	}
	s.rewind()
	if err := G.Let(s.x, tensor.New(tensor.WithShape(rows, a.In), tensor.WithBacking(x))); err != nil {
		return err
	}
	if err := G.Let(s.y, tensor.New(tensor.WithShape(rows, a.Out), tensor.WithBacking(y))); err != nil {
		return err
	}
	for i := range s.ms {
		if err := G.Let(s.ms[i].lam, T(lambdas[i])); err != nil {
			return err
		}
	}
	if err := s.run(); err != nil {
		return fmt.Errorf("graph: running the stack of %s graphs: %w", a, err)
	}
	return nil
}

// Loss returns member m's mean loss of the last Run.
func (s *MLPStack[T]) Loss(m int) float64 { return scalarOf(s.out(s.ms[m].data)) }

// Cost returns member m's loss + λ Σ‖W_l‖² of the last Run.
func (s *MLPStack[T]) Cost(m int) float64 { return scalarOf(s.out(s.ms[m].cost)) }

// Reg returns member m's λ Σ‖W_l‖² of the last Run, in T: its cost is
// T(loss) + Reg (one addition), whatever rows the loss is of.
func (s *MLPStack[T]) Reg(m int) T { return T(scalarOf(s.out(s.ms[m].reg))) }

// Scores returns member m's Rows()×Out scores of the last Run of an
// evaluation graph (owned by the graph).
func (s *MLPStack[T]) Scores(m int) []T { return s.out(s.ms[m].score).Data().([]T) }

// AddLosses adds to sums[m], for every member m in row order, the loss of
// each row of the last Run of an evaluation graph, summed in T as the data
// term's Mean sums them (as Stack.AddLosses): the sums over blocks of an
// even number of rows are the sums over the rows of one block.
func (s *MLPStack[T]) AddLosses(sums []T) {
	for m := range s.ms {
		acc := sums[m]
		for _, v := range s.out(s.ms[m].per).Data().([]T) {
			acc += v
		}
		sums[m] = acc
	}
}

// Grad returns member m's ∂cost/∂θ of the last Run for the i-th trained
// tensor θ of the member (Members[m].Trained()[i]), as MLP.Grad does for
// the lone net: a view owned by the stack, valid until the next Run.
func (s *MLPStack[T]) Grad(m, i int) []T {
	sm := &s.ms[m]
	a := s.sp.Arch
	h1 := a.Widths()[1]
	t := s.sp.Members[m].Trained()[i]
	switch {
	case t.Layer == 0 && t.Kind == Weight:
		// ∂data/∂W1 (its rows of Gᵀ X) + ∂reg/∂W1: the lone graph sums the
		// two terms with one Add, which is commutative.
		n := h1 * a.In
		data := s.out(s.dW1).Data().([]T)[m*n : (m+1)*n]
		reg := s.out(sm.grads[i]).Data().([]T)
		buf := s.w1Buf[m]
		if buf == nil {
			buf = make([]T, n)
			s.w1Buf[m] = buf
		}
		for j := range buf {
			buf[j] = data[j] + reg[j]
		}
		return buf
	case t.Layer == 0 && t.Kind == Bias:
		return s.out(s.dB1).Data().([]T)[m*h1 : (m+1)*h1]
	}
	return s.out(sm.grads[i]).Data().([]T)
}

// BatchStats returns member m's batch mean and variance of layer l of the
// last Run, or nils unless the layer is normalized in a training graph.
func (s *MLPStack[T]) BatchStats(m, l int) (mean, variance []T) {
	sm := &s.ms[m]
	if sm.bnMean[l] == nil {
		return nil, nil
	}
	return s.out(sm.bnMean[l]).Data().([]T), s.out(sm.bnVar[l]).Data().([]T)
}

// UpdateRunning moves member m's running averages towards its batch
// statistics of the last Run, as MLP.UpdateRunning does for a lone net.
func (s *MLPStack[T]) UpdateRunning(m int) {
	p := s.sp.Members[m]
	for l := range s.ms[m].bnMean {
		mu, v := s.BatchStats(m, l)
		if mu == nil {
			continue
		}
		updateRunning(p.Find(l, RunningMean).Data, p.Find(l, RunningVar).Data, mu, v)
	}
}

// Close releases the machine.
func (s *MLPStack[T]) Close() error { return s.vm.Close() }
