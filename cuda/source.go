package cuda

import (
	_ "embed"
	"errors"

	"github.com/gtrain/gtrain/graph"
)

// kernelSource is the CUDA C source of the kernels, compiled with NVRTC at
// first use (build tag cuda).
//
//go:embed kernels.cu
var kernelSource string

// kernelNames are the kernels of kernels.cu the backend loads
// (TestKernelNames checks that they are all its kernels).
var kernelNames = []string{"binary", "unary", "reduce", "gather", "sgd", "correct", "fused", "segment",
	"repeat_rows", "sqnorm", "stack_sgd", "stack_correct"}

// ErrNotBuilt is the error of every GPU call in a build without the backend.
var ErrNotBuilt = errors.New("this gtrain was built without CUDA support (make build-cuda builds bin/gtrain-cuda, which has it)")

// EpochTrainer is the fast path the CUDA engine offers beside
// engine.Engine: a whole epoch of steps with no host synchronization in
// it (batches are rows order[i·B:(i+1)·B] of the engine's split called
// split, consecutive rows when order is nil; the last partial batch is
// dropped; etas holds one learning rate or one per step), returning each
// step's cost. models.Train can use it when its engine has it and the
// epoch's batches come straight from the split (no augmentation) and it
// starts at step 0.
type EpochTrainer[T graph.Float] interface {
	TrainEpoch(split string, order []int, etas []float64) ([]float64, error)
}

// ParamSetter is implemented by engines that keep the parameters off the
// host: SetParams uploads restored values (a checkpoint).
type ParamSetter[T graph.Float] interface {
	SetParams(p *graph.Params[T]) error
}
