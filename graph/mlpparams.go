package graph

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// TensorKind says what a parameter tensor is to the trainer.
type TensorKind int

const (
	// Weight is a layer's Out×In matrix: trained, and regularized (λ‖W‖²).
	Weight TensorKind = iota
	// Bias is a layer's b (layers without batch normalization): trained.
	Bias
	// BNScale and BNShift are batch normalization's γ and β: trained.
	BNScale
	BNShift
	// RunningMean and RunningVar are batch normalization's averages of the
	// batch statistics, used to evaluate: kept, not trained.
	RunningMean
	RunningVar
)

// Trained reports whether a gradient step updates tensors of kind k.
func (k TensorKind) Trained() bool { return k <= BNShift }

// Tensor is one named parameter tensor of a network, row-major.
type Tensor[T Float] struct {
	Name  string // W1, b1, gamma1, beta1, mean1, var1, W2, … (layers count from 1)
	Kind  TensorKind
	Layer int   // 0-based layer
	Shape []int // [Out, In] for a Weight, [Out] for the others
	Data  []T
}

// MLPParams are the parameters of a network of architecture Arch, as named
// tensors in a fixed order: layer by layer, W, then b or γ, β, then the
// running mean and variance. Code that updates, saves or compares
// parameters walks Tensors and never names a layer's W or b.
//
// A stack of M such networks (the members of a sweep) holds M MLPParams of
// one Arch; a lone run is a stack of one.
type MLPParams[T Float] struct {
	Arch    Arch
	Tensors []Tensor[T]
}

// NewMLPParams returns the parameters of a with W, b and β zero, γ one, the
// running means zero and the running variances one.
func NewMLPParams[T Float](a Arch) (*MLPParams[T], error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	p := &MLPParams[T]{Arch: a}
	w := a.Widths()
	add := func(kind TensorKind, prefix string, l int, shape []int, v T) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		data := make([]T, n)
		for i := range data {
			data[i] = v
		}
		p.Tensors = append(p.Tensors, Tensor[T]{Name: prefix + strconv.Itoa(l+1), Kind: kind, Layer: l, Shape: shape, Data: data})
	}
	for l := 0; l < a.Layers(); l++ {
		in, out := w[l], w[l+1]
		add(Weight, "W", l, []int{out, in}, 0)
		if a.Normalized(l) {
			add(BNScale, "gamma", l, []int{out}, 1)
			add(BNShift, "beta", l, []int{out}, 0)
			add(RunningMean, "mean", l, []int{out}, 0)
			add(RunningVar, "var", l, []int{out}, 1)
		} else {
			add(Bias, "b", l, []int{out}, 0)
		}
	}
	return p, nil
}

// Lookup returns the tensor called name, or nil.
func (p *MLPParams[T]) Lookup(name string) *Tensor[T] {
	for i := range p.Tensors {
		if p.Tensors[i].Name == name {
			return &p.Tensors[i]
		}
	}
	return nil
}

// Find returns layer l's tensor of kind k, or nil.
func (p *MLPParams[T]) Find(l int, k TensorKind) *Tensor[T] {
	for i := range p.Tensors {
		if t := &p.Tensors[i]; t.Layer == l && t.Kind == k {
			return t
		}
	}
	return nil
}

// Trained returns the tensors a gradient step updates, in order.
func (p *MLPParams[T]) Trained() []*Tensor[T] {
	var ts []*Tensor[T]
	for i := range p.Tensors {
		if p.Tensors[i].Kind.Trained() {
			ts = append(ts, &p.Tensors[i])
		}
	}
	return ts
}

// Init draws every weight matrix from N(0, σ²), σ given by init for the
// layer's fan-in, layer by layer and row by row; the draws are made in
// float64 and rounded to T, so float32 and float64 nets started from one
// seed hold the same values. The other tensors are reset to their initial
// values (see NewMLPParams).
func (p *MLPParams[T]) Init(rng *rand.Rand, init Init) error {
	for i := range p.Tensors {
		t := &p.Tensors[i]
		switch t.Kind {
		case Weight:
			sigma, err := init.Sigma(t.Shape[1])
			if err != nil {
				return err
			}
			for j := range t.Data {
				t.Data[j] = T(sigma * rng.NormFloat64())
			}
		case BNScale, RunningVar:
			fillWith(t.Data, 1)
		default:
			fillWith(t.Data, 0)
		}
	}
	return nil
}

// Clone returns a deep copy of p.
func (p *MLPParams[T]) Clone() *MLPParams[T] {
	q := &MLPParams[T]{Arch: p.Arch, Tensors: make([]Tensor[T], len(p.Tensors))}
	for i, t := range p.Tensors {
		t.Shape = append([]int(nil), t.Shape...)
		t.Data = append([]T(nil), t.Data...)
		q.Tensors[i] = t
	}
	q.Arch.Hidden = append([]int(nil), p.Arch.Hidden...)
	return q
}

// CopyFrom sets p's values to q's, which must have p's tensors.
func (p *MLPParams[T]) CopyFrom(q *MLPParams[T]) error {
	if err := p.sameLayout(q); err != nil {
		return err
	}
	for i := range p.Tensors {
		copy(p.Tensors[i].Data, q.Tensors[i].Data)
	}
	return nil
}

func (p *MLPParams[T]) sameLayout(q *MLPParams[T]) error {
	if len(p.Tensors) != len(q.Tensors) {
		return fmt.Errorf("graph: %d tensors against %d", len(p.Tensors), len(q.Tensors))
	}
	for i := range p.Tensors {
		a, b := &p.Tensors[i], &q.Tensors[i]
		if a.Name != b.Name || len(a.Data) != len(b.Data) {
			return fmt.Errorf("graph: tensor %d is %s of %d values against %s of %d", i, a.Name, len(a.Data), b.Name, len(b.Data))
		}
	}
	return nil
}

// check verifies that every tensor holds its shape's number of values.
func (p *MLPParams[T]) check() error {
	if err := p.Arch.Check(); err != nil {
		return err
	}
	want, err := NewMLPParams[T](p.Arch)
	if err != nil {
		return err
	}
	return want.sameLayout(p)
}

func fillWith[T Float](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// LinearView returns the linear classifier's Params sharing p's W1 and b1,
// so that engines of the one-layer net (Net, Stack, the CUDA engine) update
// p in place. p must have no hidden layer.
func LinearView[T Float](p *MLPParams[T]) (*Params[T], error) {
	if !p.Arch.Linear() {
		return nil, fmt.Errorf("graph: the %s network is not the linear classifier", p.Arch)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &Params[T]{K: p.Arch.Out, D: p.Arch.In, W: p.Tensors[0].Data, B: p.Tensors[1].Data}, nil
}

// AsNet returns the linear classifier's parameters as the MLPParams of a
// network without hidden layers, sharing lp's W and b.
func AsNet[T Float](lp *Params[T]) *MLPParams[T] {
	return &MLPParams[T]{Arch: Arch{In: lp.D, Out: lp.K}, Tensors: []Tensor[T]{
		{Name: "W1", Kind: Weight, Shape: []int{lp.K, lp.D}, Data: lp.W},
		{Name: "b1", Kind: Bias, Shape: []int{lp.K}, Data: lp.B},
	}}
}
