package runfiles

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/models/config"
)

// Bounds of the values of a model. They are far looser than any trained
// model (weights are O(1); the std of a non-constant 8-bit pixel over n
// images is at least √(n−1)/(255n), above 1e-9 up to ~10^13 images), and
// tight enough that nothing overflows, even in float32: a normalized input
// is at most 1/minStd = 1e9 in size (pixels and means lie in [0, 1]), so a
// score, b plus d = 3072 products w·x, stays below 1e6 + 3072·1e6·1e9 ≈
// 3e18, and ‖W‖² below 30720·1e12 ≈ 3e16, far from float32's 3.4e38.
// A value such as 1e308 would turn the products into Inf and the
// probabilities into NaN.
const (
	maxParam = 1e6 // |w|, |b|
	minStd   = 1e-9
	maxStd   = 1e6
)

// Validate checks that m is a model of CIFAR-10 images that can be
// applied without overflow: its shapes, class names, dtype and values.
// The error names the field at fault.
func (m *Model) Validate() error {
	if m.Version != modelVersion {
		return fmt.Errorf("version: format version %d, this gtrain reads %d", m.Version, modelVersion)
	}
	if m.Dtype != "float64" && m.Dtype != "float32" {
		return fmt.Errorf("dtype %q: want float64 or float32", m.Dtype)
	}
	if err := m.CheckShape(); err != nil {
		return err
	}
	seen := make(map[string]int, len(m.Classes))
	for i, s := range m.Classes {
		if s == "" {
			return fmt.Errorf("classes[%d] is empty", i)
		}
		if j, ok := seen[s]; ok {
			return fmt.Errorf("classes[%d] and classes[%d] are both %q: class names must be distinct", j, i, s)
		}
		seen[s] = i
	}
	params := []struct {
		name   string
		v      []float64
		lo, hi float64
	}{
		{"w", m.W, -maxParam, maxParam},
		{"b", m.B, -maxParam, maxParam},
		{"mean", m.Mean, 0, 1}, // a mean of pixels in [0, 1]
		{"std", m.Std, minStd, maxStd},
	}
	for _, t := range m.Tensors {
		lo := -maxParam
		if strings.HasPrefix(t.Name, "var") {
			lo = 0 // a running variance
		}
		params = append(params, struct {
			name   string
			v      []float64
			lo, hi float64
		}{"tensors[" + t.Name + "]", t.Values, lo, maxParam})
	}
	for _, f := range params {
		for i, v := range f.v {
			if !(v >= f.lo && v <= f.hi) { // NaN fails both
				return fmt.Errorf("%s[%d] = %g: want a finite value in [%g, %g]", f.name, i, v, f.lo, f.hi)
			}
		}
	}
	return nil
}

// CheckShape checks the dimensions of m: cheap enough for every Predict,
// so that a model built in code cannot make it panic.
func (m *Model) CheckShape() error {
	switch {
	case m.D != data.ImageSize:
		return fmt.Errorf("d = %d: the images have %d values (%d×%d×3)", m.D, data.ImageSize, data.Side, data.Side)
	case m.K < 1:
		return fmt.Errorf("k = %d: want at least one class", m.K)
	case len(m.Classes) != m.K:
		return fmt.Errorf("classes: %d names for k = %d classes", len(m.Classes), m.K)
	case len(m.Hidden) > 0:
		return m.checkTensors()
	case m.BatchNorm:
		return fmt.Errorf("batch_norm: set for a model without hidden layers")
	case len(m.Tensors) != 0:
		return fmt.Errorf("tensors: %d for a model without hidden layers (its parameters are w and b)", len(m.Tensors))
	// K ≤ len(Classes), bounded by the file's size, so K*D cannot overflow.
	case len(m.W) != m.K*m.D:
		return fmt.Errorf("w: %d values, want k×d = %d", len(m.W), m.K*m.D)
	case len(m.B) != m.K:
		return fmt.Errorf("b: %d values, want k = %d", len(m.B), m.K)
	case len(m.Mean) != m.D:
		return fmt.Errorf("mean: %d values, want d = %d", len(m.Mean), m.D)
	case len(m.Std) != m.D:
		return fmt.Errorf("std: %d values, want d = %d", len(m.Std), m.D)
	}
	return nil
}

// checkTensors checks a network's tensors against its architecture; the
// widths are bounded so that their products stay far from overflow.
func (m *Model) checkTensors() error {
	for i, w := range m.Hidden {
		if w < 1 || w > 1<<16 {
			return fmt.Errorf("hidden[%d] = %d: want a width in 1..%d", i, w, 1<<16)
		}
	}
	if len(m.Hidden) > 64 {
		return fmt.Errorf("hidden: %d layers; at most 64", len(m.Hidden))
	}
	if len(m.W) != 0 || len(m.B) != 0 {
		return fmt.Errorf("w, b: set for a network with hidden layers (its parameters are in tensors)")
	}
	if len(m.Mean) != m.D || len(m.Std) != m.D {
		return fmt.Errorf("mean, std: %d and %d values, want d = %d", len(m.Mean), len(m.Std), m.D)
	}
	ts := make([]Tensor, len(m.Tensors))
	for i, t := range m.Tensors {
		ts[i] = Tensor{Name: t.Name, Values: t.Values}
	}
	return CheckTensors("tensors", ts, m.Arch(), "float64")
}

// ModelFromCheckpoint rebuilds the model of a run from its checkpoint, for
// a run stopped before it wrote model.json. The normalization is fitted to
// the training split again, as training did. The model is validated as
// model.json is; an error names checkpoint.json.
func ModelFromCheckpoint(dir string, cfg *config.Config, splits *data.Splits) (*Model, error) {
	ck, err := ReadCheckpoint(dir, cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, CheckpointFile)
	if len(cfg.Hidden) > 0 {
		ts := ck.Tensors
		if ck.Finished && cfg.EarlyStop > 0 && ck.BestEpoch > 0 {
			ts = ck.BestTensors
		}
		nz := data.FitNormalizer(splits.Train)
		m := &Model{Version: modelVersion, Dtype: ck.Dtype, K: data.NumClasses, D: data.ImageSize, Classes: splits.Train.Classes,
			Mean: nz.Mean, Std: nz.Std, Hidden: cfg.Hidden, BatchNorm: cfg.BatchNorm}
		for _, t := range ts {
			m.Tensors = append(m.Tensors, NamedValues{Name: t.Name, Values: t.Values})
		}
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return m, nil
	}
	k := len(ck.B)
	if k == 0 {
		return nil, fmt.Errorf("%s: %w", path, errors.New("b: no values"))
	}
	w, b := ck.W, ck.B
	if ck.Finished && cfg.EarlyStop > 0 && ck.BestEpoch > 0 {
		// The run's model is its best epoch's, as Train's final files.
		w, b = ck.BestW, ck.BestB
	}
	nz := data.FitNormalizer(splits.Train)
	m := &Model{Version: modelVersion, Dtype: ck.Dtype, K: k, D: len(w) / k, Classes: splits.Train.Classes,
		W: w, B: b, Mean: nz.Mean, Std: nz.Std}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Normalizer returns the model's input normalization.
func (m *Model) Normalizer() *data.Normalizer { return &data.Normalizer{Mean: m.Mean, Std: m.Std} }
