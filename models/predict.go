package models

import (
	"context"
	"fmt"
	"math"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

// ModelParams returns the parameters of m in the dtype T; m must be valid.
func ModelParams[T graph.Float](m *runfiles.Model) (*graph.MLPParams[T], error) {
	p, err := graph.NewMLPParams[T](m.Arch())
	if err != nil {
		return nil, err
	}
	if m.Arch().Linear() {
		copyInto(p.Tensors[0].Data, m.W)
		copyInto(p.Tensors[1].Data, m.B)
		return p, nil
	}
	if len(m.Tensors) != len(p.Tensors) {
		return nil, fmt.Errorf("model: %d tensors, the %s network has %d", len(m.Tensors), m.Arch(), len(p.Tensors))
	}
	for i, t := range m.Tensors {
		if len(t.Values) != len(p.Tensors[i].Data) {
			return nil, fmt.Errorf("model: tensor %s of %d values, want %d", t.Name, len(t.Values), len(p.Tensors[i].Data))
		}
		copyInto(p.Tensors[i].Data, t.Values)
	}
	return p, nil
}

func copyInto[T graph.Float](dst []T, src []float64) {
	for i, v := range src {
		dst[i] = T(v)
	}
}

// Prediction is the classification of one image.
type Prediction struct {
	Class int
	Probs []float64 // softmax of the scores
}

// Predict classifies one image of d raw pixels (channel-major, as in the
// CIFAR-10 files). The scores are computed in float64. m must be valid
// (ReadModel's are); a model of the wrong shape is an error, not a panic.
func Predict(m *runfiles.Model, pixels []uint8) (Prediction, error) {
	if err := m.CheckShape(); err != nil {
		return Prediction{}, fmt.Errorf("model: %w", err)
	}
	if len(pixels) != m.D {
		return Prediction{}, fmt.Errorf("image of %d values, the model takes %d", len(pixels), m.D)
	}
	x := make([]float64, m.D)
	data.Normalize(x, pixels, m.Normalizer())
	s := make([]float64, m.K)
	if len(m.Hidden) == 0 {
		for k := range s {
			acc := m.B[k]
			for j, w := range m.W[k*m.D : (k+1)*m.D] {
				acc += w * x[j]
			}
			s[k] = acc
		}
	} else {
		p, err := ModelParams[float64](m)
		if err != nil {
			return Prediction{}, err
		}
		if s, err = graph.MLPScores(p, x); err != nil {
			return Prediction{}, err
		}
	}
	best, top := 0, math.Inf(-1)
	for k, v := range s {
		if v > top {
			best, top = k, v
		}
	}
	var z float64
	for k := range s {
		s[k] = math.Exp(s[k] - top)
		z += s[k]
	}
	for k := range s {
		s[k] /= z
	}
	return Prediction{Class: best, Probs: s}, nil
}

// PrepareWith normalizes the splits with a given normalization (a trained
// model's), instead of fitting it to the training split.
func PrepareWith[T graph.Float](s *data.Splits, nz *data.Normalizer) *Prepared[T] {
	return &Prepared[T]{
		Train:      newSplit[T]("train", s.Train, nz),
		Val:        newSplit[T]("val", s.Val, nz),
		Test:       newSplit[T]("test", s.Test, nz),
		Classes:    s.Train.Classes,
		Normalizer: nz,
	}
}

// EvaluateModel evaluates a model on the splits of d with the graph of the
// given loss and λ, on the device of spec. It stops between splits when ctx
// is cancelled and returns the context's cause.
func EvaluateModel[T graph.Float](ctx context.Context, m *runfiles.Model, d *Prepared[T], spec engine.Spec) (map[string]engine.Eval, error) {
	if err := m.CheckShape(); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	// The splits' one-hot labels have a column per class of the data.
	if m.K != data.NumClasses {
		return nil, fmt.Errorf("model of %d classes; the data has %d", m.K, data.NumClasses)
	}
	p, err := ModelParams[T](m)
	if err != nil {
		return nil, err
	}
	spec.Batch = 1 // no training graph is run; the smallest to build
	eng, err := engine.NewNet(p, spec, engine.Splits[T]{d.Train, d.Val, d.Test})
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	out := map[string]engine.Eval{}
	for i, s := range []*engine.Split[T]{d.Train, d.Val, d.Test} {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		ev, err := eng.Evaluate(s.Name)
		if err != nil {
			return nil, err
		}
		out[runfiles.SplitNames[i]] = ev
	}
	return out, nil
}
