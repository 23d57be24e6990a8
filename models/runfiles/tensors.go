package runfiles

import (
	"fmt"
	"math"

	"github.com/gtrain/gtrain/graph"
)

// Tensor is one named parameter tensor of a network with hidden layers in
// a checkpoint or model file (graph.MLPParams' names: W1, b1, gamma1, …),
// its values row-major; its shape follows from the configuration's
// network. The linear classifier's files keep their W and b fields.
type Tensor struct {
	Name   string `json:"name"`
	Values Floats `json:"values"`
}

// CheckTensors checks that ts are the tensors of the network arch, in
// order, each of its size, and finite (float32 values in float32).
func CheckTensors(what string, ts []Tensor, arch graph.Arch, dtype string) error {
	want, err := graph.NewMLPParams[float64](arch)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(ts) != len(want.Tensors) {
		return fmt.Errorf("%s: %d tensors, the %s network has %d", what, len(ts), arch, len(want.Tensors))
	}
	for i, t := range ts {
		w := want.Tensors[i]
		if t.Name != w.Name || len(t.Values) != len(w.Data) {
			return fmt.Errorf("%s: tensor %d is %s of %d values, the %s network's is %s of %d", what, i+1, t.Name, len(t.Values), arch, w.Name, len(w.Data))
		}
		if err := checkParams(what+" "+t.Name, t.Values, nil, dtype); err != nil {
			return err
		}
		if w.Kind == graph.RunningVar {
			for _, v := range t.Values {
				if v < 0 {
					return fmt.Errorf("%s %s holds the variance %v", what, t.Name, v)
				}
			}
		}
	}
	return nil
}

// sameLayout reports whether a and b hold the same tensors by name and size.
func sameLayout(a, b []Tensor) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Values) != len(b[i].Values) {
			return false
		}
	}
	return true
}

func finiteTensors(ts []Tensor) error {
	for _, t := range ts {
		for _, v := range t.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("tensor %s holds %v", t.Name, v)
			}
		}
	}
	return nil
}
