package graph

import (
	"fmt"
	"math"
)

// Batch normalization's constants, the course's (Assignment 3) with
// PyTorch's ε: ŝ = (s − μ)/√(v + ε), v the batch's biased variance (1/n),
// and the running averages μ̄ ← α μ̄ + (1−α) μ, v̄ ← α v̄ + (1−α) v after
// every training step (PyTorch's momentum 0.1 is α = 0.9; PyTorch's v̄
// averages the unbiased variance instead).
const (
	BNEpsilon  = 1e-5
	BNMomentum = 0.9
)

// mlpPass is a plain-Go forward pass through a network, in float64, with
// what the course's backward pass needs: each layer's input, its scores
// before batch normalization and, for normalized layers, the batch mean,
// variance and normalized scores.
type mlpPass struct {
	n       int
	inputs  [][]float64 // inputs[l]: layer l's input, n×widths[l]; inputs[0] = X
	pre     [][]float64 // pre[l]: H Wᵀ (+ b), n×widths[l+1]
	mean    [][]float64 // normalized layers: the batch mean (or the running one)
	vari    [][]float64 // and variance
	hat     [][]float64 // and ŝ
	weights [][]float64 // each layer's W in float64
	scores  []float64   // the last layer's pre
}

func (b Batch[T]) checkArch(a Arch) error {
	if b.N() == 0 || len(b.X) != b.N()*a.In {
		return fmt.Errorf("graph: batch of %d labels and %d values does not match d=%d", b.N(), len(b.X), a.In)
	}
	for i, y := range b.Labels {
		if int(y) >= a.Out {
			return fmt.Errorf("graph: label %d of sample %d out of range 0..%d", y, i, a.Out-1)
		}
	}
	return nil
}

// forwardMLP runs p on the batch; train selects the batch statistics for
// batch normalization, otherwise the running averages are used.
func forwardMLP[T Float](p *MLPParams[T], b Batch[T], train bool) *mlpPass {
	a := p.Arch
	w := a.Widths()
	n := b.N()
	fp := &mlpPass{n: n}
	h := toF64(b.X)
	for l := 0; l < a.Layers(); l++ {
		in, out := w[l], w[l+1]
		W := toF64(p.Find(l, Weight).Data)
		s := make([]float64, n*out)
		for i := 0; i < n; i++ {
			x := h[i*in : (i+1)*in]
			for c := 0; c < out; c++ {
				row := W[c*in : (c+1)*in]
				var acc float64
				for j, v := range x {
					acc += row[j] * v
				}
				s[i*out+c] = acc
			}
		}
		if bias := p.Find(l, Bias); bias != nil {
			for i := 0; i < n; i++ {
				for c := 0; c < out; c++ {
					s[i*out+c] += float64(bias.Data[c])
				}
			}
		}
		fp.inputs = append(fp.inputs, h)
		fp.pre = append(fp.pre, s)
		fp.weights = append(fp.weights, W)
		var mu, v, hat []float64
		next := s
		if a.Normalized(l) {
			if train {
				mu, v = columnStats(s, n, out)
			} else {
				mu, v = toF64(p.Find(l, RunningMean).Data), toF64(p.Find(l, RunningVar).Data)
			}
			gamma, beta := p.Find(l, BNScale).Data, p.Find(l, BNShift).Data
			hat = make([]float64, n*out)
			next = make([]float64, n*out)
			for i := 0; i < n; i++ {
				for c := 0; c < out; c++ {
					k := i*out + c
					hat[k] = (s[k] - mu[c]) / math.Sqrt(v[c]+BNEpsilon)
					next[k] = float64(gamma[c])*hat[k] + float64(beta[c])
				}
			}
		}
		fp.mean, fp.vari, fp.hat = append(fp.mean, mu), append(fp.vari, v), append(fp.hat, hat)
		if l == a.Layers()-1 {
			fp.scores = s
			break
		}
		if &next[0] == &s[0] {
			next = append([]float64(nil), s...)
		}
		for k, x := range next {
			next[k] = math.Max(0, x)
		}
		h = next
	}
	return fp
}

// columnStats returns the mean and the biased variance of each column of
// the n×m matrix s.
func columnStats(s []float64, n, m int) (mu, v []float64) {
	mu, v = make([]float64, m), make([]float64, m)
	for i := 0; i < n; i++ {
		for c := 0; c < m; c++ {
			mu[c] += s[i*m+c]
		}
	}
	for c := range mu {
		mu[c] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for c := 0; c < m; c++ {
			d := s[i*m+c] - mu[c]
			v[c] += d * d
		}
	}
	for c := range v {
		v[c] /= float64(n)
	}
	return mu, v
}

func (fp *mlpPass) regularization(lambda float64) float64 {
	var ss compensatedSum
	for _, W := range fp.weights {
		for _, w := range W {
			ss.Add(w * w)
		}
	}
	return lambda * ss.Sum()
}

// MLPCost returns the mean loss plus λ Σ_l ‖W_l‖² of p on the batch, with
// batch normalization from the batch's statistics (as in training),
// computed in float64 without a graph.
func MLPCost[T Float](p *MLPParams[T], b Batch[T], loss Loss, lambda float64) (float64, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	if err := b.checkArch(p.Arch); err != nil {
		return 0, err
	}
	return mlpCost(p, b, loss, lambda), nil
}

// mlpCost is MLPCost of a checked network and batch.
func mlpCost[T Float](p *MLPParams[T], b Batch[T], loss Loss, lambda float64) float64 {
	fp := forwardMLP(p, b, true)
	return scoreGrad(fp.scores, b.Labels, p.Arch.Out, loss)/float64(b.N()) + fp.regularization(lambda)
}

// MLPAnalyticGrad writes the hand-derived gradient of MLPCost with respect
// to each trained tensor of p into grads (parallel to p.Trained()) and
// returns the cost. It is the course's backward pass written out (the
// Assignment 3 notes), in float64, with no graph: G = ∂loss/∂S of the last
// layer, then layer by layer ∂W = Gᵀ H + 2λW, ∂b = 1ᵀ G, G ← (G W) ⊙ 1[H > 0],
// and through batch normalization ∂γ = 1ᵀ(G ⊙ Ŝ), ∂β = 1ᵀ G, G ← BN's
// backward pass of G ⊙ γ.
func MLPAnalyticGrad[T Float](grads [][]float64, p *MLPParams[T], b Batch[T], loss Loss, lambda float64) (float64, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	if err := b.checkArch(p.Arch); err != nil {
		return 0, err
	}
	trained := p.Trained()
	if len(grads) != len(trained) {
		return 0, fmt.Errorf("graph: %d gradients for %d trained tensors", len(grads), len(trained))
	}
	gradOf := map[*Tensor[T]][]float64{}
	for i, t := range trained {
		if len(grads[i]) != len(t.Data) {
			return 0, fmt.Errorf("graph: gradient of %s holds %d values, want %d", t.Name, len(grads[i]), len(t.Data))
		}
		gradOf[t] = grads[i]
	}
	a := p.Arch
	w := a.Widths()
	n := b.N()
	fp := forwardMLP(p, b, true)
	g := append([]float64(nil), fp.scores...)
	total := scoreGrad(g, b.Labels, a.Out, loss)
	for k := range g {
		g[k] /= float64(n)
	}
	for l := a.Layers() - 1; l >= 0; l-- {
		in, out := w[l], w[l+1]
		if a.Normalized(l) {
			gamma := p.Find(l, BNScale).Data
			dGamma, dBeta := gradOf[p.Find(l, BNScale)], gradOf[p.Find(l, BNShift)]
			clear(dGamma)
			clear(dBeta)
			for i := 0; i < n; i++ {
				for c := 0; c < out; c++ {
					k := i*out + c
					dGamma[c] += g[k] * fp.hat[l][k]
					dBeta[c] += g[k]
					g[k] *= float64(gamma[c])
				}
			}
			g = bnBackward(g, fp.pre[l], fp.mean[l], fp.vari[l], n, out)
		}
		H, W := fp.inputs[l], fp.weights[l]
		dW := gradOf[p.Find(l, Weight)]
		for c := 0; c < out; c++ {
			for j := 0; j < in; j++ {
				var acc float64
				for i := 0; i < n; i++ {
					acc += g[i*out+c] * H[i*in+j]
				}
				dW[c*in+j] = acc + 2*lambda*W[c*in+j]
			}
		}
		if bias := p.Find(l, Bias); bias != nil {
			dB := gradOf[bias]
			clear(dB)
			for i := 0; i < n; i++ {
				for c := 0; c < out; c++ {
					dB[c] += g[i*out+c]
				}
			}
		}
		if l == 0 {
			break
		}
		prev := make([]float64, n*in)
		for i := 0; i < n; i++ {
			for j := 0; j < in; j++ {
				if H[i*in+j] <= 0 {
					continue // the ReLU's gradient is 0 where its output is
				}
				var acc float64
				for c := 0; c < out; c++ {
					acc += g[i*out+c] * W[c*in+j]
				}
				prev[i*in+j] = acc
			}
		}
		g = prev
	}
	return total/float64(n) + fp.regularization(lambda), nil
}

// bnBackward is the course's BatchNormBackPass in rows: with σ₁ = (v+ε)^−½,
// σ₂ = (v+ε)^−³⁄₂ and D = S − μ, per column
// ∂S = G σ₁ − mean_i(G σ₁) − D · Σ_i(G σ₂ D) / n.
func bnBackward(g, s, mu, v []float64, n, m int) []float64 {
	out := make([]float64, n*m)
	for c := 0; c < m; c++ {
		s1 := 1 / math.Sqrt(v[c]+BNEpsilon)
		s2 := s1 * s1 * s1
		var sumG1, sumG2D float64
		for i := 0; i < n; i++ {
			k := i*m + c
			sumG1 += g[k] * s1
			sumG2D += g[k] * s2 * (s[k] - mu[c])
		}
		for i := 0; i < n; i++ {
			k := i*m + c
			out[k] = g[k]*s1 - sumG1/float64(n) - (s[k]-mu[c])*sumG2D/float64(n)
		}
	}
	return out
}

// MLPNumericalGrad writes the finite-difference gradient of MLPCost with
// step h with respect to each trained tensor into grads (parallel to
// p.Trained()), always in float64.
func MLPNumericalGrad[T Float](grads [][]float64, p *MLPParams[T], b Batch[T], loss Loss, lambda, h float64, f FiniteDifference) error {
	q := &MLPParams[float64]{Arch: p.Arch}
	for _, t := range p.Tensors {
		q.Tensors = append(q.Tensors, Tensor[float64]{Name: t.Name, Kind: t.Kind, Layer: t.Layer, Shape: t.Shape, Data: toF64(t.Data)})
	}
	bb := Batch[float64]{X: toF64(b.X), Labels: b.Labels}
	base, err := MLPCost(q, bb, loss, lambda)
	if err != nil {
		return err
	}
	trained := q.Trained()
	if len(grads) != len(trained) {
		return fmt.Errorf("graph: %d gradients for %d trained tensors", len(grads), len(trained))
	}
	for ti, t := range trained {
		out := grads[ti]
		if len(out) != len(t.Data) {
			return fmt.Errorf("graph: gradient of %s holds %d values, want %d", t.Name, len(out), len(t.Data))
		}
		for i := range t.Data {
			old := t.Data[i]
			t.Data[i] = old + h
			up := mlpCost(q, bb, loss, lambda)
			if f == Central {
				t.Data[i] = old - h
				down := mlpCost(q, bb, loss, lambda)
				out[i] = (up - down) / (2 * h)
			} else {
				out[i] = (up - base) / h
			}
			t.Data[i] = old
		}
	}
	return nil
}

// MLPScores returns the scores (rows × Out) of p on the rows of x, with
// batch normalization from the running averages (as evaluation), computed
// in float64 without a graph.
func MLPScores[T Float](p *MLPParams[T], x []T) ([]float64, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if len(x) == 0 || len(x)%p.Arch.In != 0 {
		return nil, fmt.Errorf("graph: %d inputs are no rows of %d", len(x), p.Arch.In)
	}
	b := Batch[T]{X: x, Labels: make([]uint8, len(x)/p.Arch.In)}
	return forwardMLP(p, b, false).scores, nil
}
