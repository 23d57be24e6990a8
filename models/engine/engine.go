package engine

import "github.com/gtrain/gtrain/graph"

// Engine runs the classifier's graph on one device: gradient steps on
// mini-batches and evaluation of whole splits. The trainer drives it and
// never touches the device itself.
//
// The parameters are a graph.Params (W and b of the one-layer net).
type Engine[T graph.Float] interface {
	// Step computes the cost of one mini-batch (Spec.Batch rows), its
	// gradients, and applies W −= eta·∂cost/∂W, b −= eta·∂cost/∂b. It
	// returns the batch cost before the update.
	Step(b Batch[T], eta float64) (float64, error)
	// Evaluate returns the mean loss, the cost (mean loss + λ‖W‖²) and the
	// number of correctly classified samples of the split called split,
	// one of those the engine was built with.
	Evaluate(split string) (Eval, error)
	// Params returns the current parameters on the host.
	Params() (*graph.Params[T], error)
	// Close releases the engine's resources.
	Close() error
}

// Eval is the evaluation of a split.
type Eval struct {
	Loss, Cost float64
	Correct, N int
}

// Accuracy returns the fraction of correct predictions.
func (e Eval) Accuracy() float64 { return float64(e.Correct) / float64(e.N) }
