package cuda

import (
	_ "embed"
	"errors"
)

// kernelSource is the CUDA C source of the kernels, compiled with NVRTC at
// first use (build tag cuda).
//
//go:embed kernels.cu
var kernelSource string

// ErrNotBuilt is the error of every GPU call in a build without the backend.
var ErrNotBuilt = errors.New("this gtrain was built without CUDA support (make build-cuda builds bin/gtrain-cuda, which has it)")
