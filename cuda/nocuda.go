//go:build !gtrain_cuda

package cuda

import (
	"github.com/gtrain/gtrain/graph"
)

// Built reports whether this binary has the CUDA backend (build tag
// gtrain_cuda: make build-cuda).
const Built = false

// Probe checks that the device spec names a usable GPU and describes it.
func Probe(spec string) (string, error) { return "", ErrNotBuilt }

// Count returns the number of CUDA devices: none without the backend.
func Count() int { return 0 }

// Gradients computes cost, ∂cost/∂W and ∂cost/∂b on the GPU.
func Gradients[T graph.Float](device string, p *graph.Params[T], loss graph.Loss, lambda float64, x, y []T) (float64, []T, []T, error) {
	return 0, nil, nil, ErrNotBuilt
}
