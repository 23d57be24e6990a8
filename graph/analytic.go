package graph

import (
	"fmt"
	"math"
)

// Batch is a set of samples for the plain-Go computations: X holds N rows of
// d values, row-major, and Labels the class of each row.
type Batch[T Float] struct {
	X      []T
	Labels []uint8
}

// N returns the number of samples.
func (b Batch[T]) N() int { return len(b.Labels) }

func (b Batch[T]) check(p *Params[T]) error {
	if err := p.check(); err != nil {
		return err
	}
	if b.N() == 0 || len(b.X) != b.N()*p.D {
		return fmt.Errorf("graph: batch of %d labels and %d values does not match d=%d", b.N(), len(b.X), p.D)
	}
	for i, y := range b.Labels {
		if int(y) >= p.K {
			return fmt.Errorf("graph: label %d of sample %d out of range 0..%d", y, i, p.K-1)
		}
	}
	return nil
}

// scoresInto writes the N×K scores W x_i + b into s, accumulating in float64.
func scoresInto[T Float](s []float64, p *Params[T], b Batch[T]) {
	k, d := p.K, p.D
	for i := 0; i < b.N(); i++ {
		x := b.X[i*d : (i+1)*d]
		for c := 0; c < k; c++ {
			w := p.W[c*d : (c+1)*d]
			acc := float64(p.B[c])
			for j, xv := range x {
				acc += float64(w[j]) * float64(xv)
			}
			s[i*k+c] = acc
		}
	}
}

// scoreGrad turns the scores s of a batch into ∂loss/∂s (overwriting s) and
// returns the summed loss. This is the course's hand derivation, without
// its division by N (the caller divides once at the end, so that the SVM's
// integer counts cancel exactly): cross-entropy: softmax(s) − onehot(y);
// SVM: 1[s_j − s_y + 1 > 0] for j ≠ y and minus their count for j = y.
func scoreGrad(s []float64, labels []uint8, k int, loss Loss) float64 {
	var total compensatedSum
	for i, y := range labels {
		row := s[i*k : (i+1)*k]
		switch loss {
		case CrossEntropy:
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, v)
			}
			var z float64
			for _, v := range row {
				z += math.Exp(v - m)
			}
			total.Add(math.Log(z) + m - row[y])
			for c, v := range row {
				row[c] = math.Exp(v-m) / z
			}
			row[y]--
		case SVM:
			sy := row[y]
			count := 0.0
			for c, v := range row {
				if c == int(y) {
					continue
				}
				if m := v - sy + 1; m > 0 {
					total.Add(m)
					row[c] = 1
					count++
				} else {
					row[c] = 0
				}
			}
			row[y] = -count
		}
	}
	return total.Sum()
}

func regularization[T Float](p *Params[T], lambda float64) float64 {
	var ss compensatedSum
	for _, w := range p.W {
		ss.Add(float64(w) * float64(w))
	}
	return lambda * ss.Sum()
}

// compensatedSum is Neumaier's summation. The numerical gradient divides a
// difference of two costs by 2h = 2e-6, so the costs' rounding is magnified
// a million times; summing the losses and ‖W‖² without compensation left
// errors near 1e-6 relative on small gradient entries.
type compensatedSum struct{ sum, c float64 }

func (s *compensatedSum) Add(x float64) {
	t := s.sum + x
	if math.Abs(s.sum) >= math.Abs(x) {
		s.c += (s.sum - t) + x
	} else {
		s.c += (x - t) + s.sum
	}
	s.sum = t
}

func (s *compensatedSum) Sum() float64 { return s.sum + s.c }

// Cost returns the mean loss over the batch plus λ‖W‖², computed in float64
// without a graph.
func Cost[T Float](p *Params[T], b Batch[T], loss Loss, lambda float64) (float64, error) {
	if err := b.check(p); err != nil {
		return 0, err
	}
	s := make([]float64, b.N()*p.K)
	scoresInto(s, p, b)
	return scoreGrad(s, b.Labels, p.K, loss)/float64(b.N()) + regularization(p, lambda), nil
}

// AnalyticGrad writes the hand-derived ∂cost/∂W into dW (K×d) and ∂cost/∂b
// into dB (K) and returns the cost. It uses no graph and accumulates in
// float64: it is the reference the autodiff gradients are checked against.
func AnalyticGrad[T Float](dW, dB []T, p *Params[T], b Batch[T], loss Loss, lambda float64) (float64, error) {
	if err := b.check(p); err != nil {
		return 0, err
	}
	k, d := p.K, p.D
	if len(dW) != k*d || len(dB) != k {
		return 0, fmt.Errorf("graph: gradient buffers hold %d and %d values, want %d and %d", len(dW), len(dB), k*d, k)
	}
	s := make([]float64, b.N()*k)
	scoresInto(s, p, b)
	n := float64(b.N())
	cost := scoreGrad(s, b.Labels, k, loss)/n + regularization(p, lambda)
	// dW = Gᵀ X / N + 2λW, db = Σ_i G_i / N, with G = ∂(Σ loss)/∂S (N×K).
	gw := make([]float64, d)
	for c := 0; c < k; c++ {
		clear(gw)
		var gb float64
		for i := 0; i < b.N(); i++ {
			g := s[i*k+c]
			if g == 0 {
				continue
			}
			gb += g
			for j, xv := range b.X[i*d : (i+1)*d] {
				gw[j] += g * float64(xv)
			}
		}
		w := p.W[c*d : (c+1)*d]
		for j := range gw {
			dW[c*d+j] = T(gw[j]/n + 2*lambda*float64(w[j]))
		}
		dB[c] = T(gb / n)
	}
	return cost, nil
}
