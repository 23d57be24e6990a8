package npzfile

import (
	"fmt"

	"github.com/gtrain/gtrain/data/npz"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/runfiles"
)

// The names of an exported model's arrays besides its parameters (W1,
// b1, … as in the gradient-check file).
const (
	KeyClasses = "classes" // K class names, in the order of W1's rows
	KeyMean    = "mean"    // d per-dimension means, pixels scaled to [0, 1]
	KeyStd     = "std"     // d per-dimension standard deviations
	KeyDtype   = "dtype"   // the dtype the model was trained in
	KeyVersion = "version" // model.json's format version
)

// WriteModel writes the trained model m as .npz: W1 (K×d), b1 (K), the
// class names, the normalization and the training dtype. An image x
// (d pixels in [0, 1], CIFAR-10's channel-major order) gets the scores
// W1 @ ((x − mean) / std) + b1. Values are float64, exactly model.json's.
// A network with hidden layers has every tensor of model.json instead
// (W1, b1 or gamma1, beta1 and the running averages mean1, var1 of a
// batch-normalized layer, …, each layer's W out×in), with hidden (the
// widths) and batch_norm; docs/npz.md gives its forward pass.
func WriteModel(path string, m *runfiles.Model) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	w, err := npz.Create(path)
	if err != nil {
		return err
	}
	if len(m.Hidden) == 0 {
		specs := ParamSpecs(m.D, nil, m.K, false)
		w.Floats(specs[0].Name, specs[0].Shape, m.W)
		w.Floats(specs[1].Name, specs[1].Shape, m.B)
	} else {
		p, err := graph.NewMLPParams[float64](m.Arch())
		if err != nil {
			return err
		}
		for i, t := range p.Tensors {
			w.Floats(t.Name, t.Shape, m.Tensors[i].Values)
		}
		hidden := make([]int64, len(m.Hidden))
		for i, h := range m.Hidden {
			hidden[i] = int64(h)
		}
		w.Ints(KeyHidden, hidden)
		w.Scalar(KeyBatchNorm, b2f(m.BatchNorm))
	}
	w.Strings(KeyClasses, m.Classes)
	w.Floats(KeyMean, []int{m.D}, m.Mean)
	w.Floats(KeyStd, []int{m.D}, m.Std)
	w.String(KeyDtype, m.Dtype)
	w.Scalar(KeyVersion, float64(m.Version))
	return w.Close()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
