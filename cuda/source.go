package cuda

import _ "embed"

// kernelSource is the CUDA C source of the kernels, compiled with NVRTC at
// first use (build tag cuda).
//
//go:embed kernels.cu
var kernelSource string
