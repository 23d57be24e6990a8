package graph

// FiniteDifference selects the numerical gradient's formula.
type FiniteDifference int

const (
	// Central is (J(θ+h) − J(θ−h)) / 2h: error O(h²), two costs per parameter.
	Central FiniteDifference = iota
	// Forward is the course's faster (J(θ+h) − J(θ)) / h: error O(h), one
	// cost per parameter plus one.
	Forward
)

// String returns the formula's name.
func (f FiniteDifference) String() string {
	if f == Forward {
		return "forward"
	}
	return "central"
}

// NumericalGrad writes the finite-difference gradient of Cost with step h
// into dW and dB. It always works in float64 (the parameters and batch are
// converted), since a step of 1e-6 is below float32's resolution.
func NumericalGrad[T Float](dW, dB []float64, p *Params[T], b Batch[T], loss Loss, lambda, h float64, f FiniteDifference) error {
	q := &Params[float64]{K: p.K, D: p.D, W: toF64(p.W), B: toF64(p.B)}
	bb := Batch[float64]{X: toF64(b.X), Labels: b.Labels}
	base, err := Cost(q, bb, loss, lambda)
	if err != nil {
		return err
	}
	diff := func(theta []float64, out []float64) {
		for i := range theta {
			old := theta[i]
			theta[i] = old + h
			up, _ := Cost(q, bb, loss, lambda)
			if f == Central {
				theta[i] = old - h
				down, _ := Cost(q, bb, loss, lambda)
				out[i] = (up - down) / (2 * h)
			} else {
				out[i] = (up - base) / h
			}
			theta[i] = old
		}
	}
	diff(q.W, dW)
	diff(q.B, dB)
	return nil
}

func toF64[T Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
