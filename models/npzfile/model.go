package npzfile

import (
	"fmt"

	"github.com/gtrain/gtrain/data/npz"
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
func WriteModel(path string, m *runfiles.Model) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	w, err := npz.Create(path)
	if err != nil {
		return err
	}
	specs := ParamSpecs(m.D, nil, m.K, false)
	w.Floats(specs[0].Name, specs[0].Shape, m.W)
	w.Floats(specs[1].Name, specs[1].Shape, m.B)
	w.Strings(KeyClasses, m.Classes)
	w.Floats(KeyMean, []int{m.D}, m.Mean)
	w.Floats(KeyStd, []int{m.D}, m.Std)
	w.String(KeyDtype, m.Dtype)
	w.Scalar(KeyVersion, float64(m.Version))
	return w.Close()
}
