package graph

import (
	"fmt"
	"math/rand/v2"
)

// Params are the parameters of the one-layer classifier s = W x + b:
// W is K×d, row-major (row k is the template of class k), and b has K entries.
type Params[T Float] struct {
	K, D int
	W    []T
	B    []T
}

// NewParams returns zero parameters for K classes and d input dimensions.
func NewParams[T Float](k, d int) *Params[T] {
	return &Params[T]{K: k, D: d, W: make([]T, k*d), B: make([]T, k)}
}

// InitGaussian sets W and b to independent N(0, std²) draws, W first, row by
// row, then b. The draws are made in float64 and rounded to T, so a float32
// and a float64 model started from the same rng hold the same values.
func (p *Params[T]) InitGaussian(rng *rand.Rand, std float64) {
	for i := range p.W {
		p.W[i] = T(std * rng.NormFloat64())
	}
	for i := range p.B {
		p.B[i] = T(std * rng.NormFloat64())
	}
}

// Clone returns a deep copy of p.
func (p *Params[T]) Clone() *Params[T] {
	q := &Params[T]{K: p.K, D: p.D, W: make([]T, len(p.W)), B: make([]T, len(p.B))}
	copy(q.W, p.W)
	copy(q.B, p.B)
	return q
}

// CopyFrom sets p to the values of q, which must have the same shape.
func (p *Params[T]) CopyFrom(q *Params[T]) {
	copy(p.W, q.W)
	copy(p.B, q.B)
}

func (p *Params[T]) check() error {
	if p.K <= 0 || p.D <= 0 || len(p.W) != p.K*p.D || len(p.B) != p.K {
		return fmt.Errorf("graph: parameters of shape K=%d d=%d hold %d W and %d b values", p.K, p.D, len(p.W), len(p.B))
	}
	return nil
}
