//go:build gtrain_cuda

package main

import (
	"github.com/gtrain/gtrain/cuda"
	"github.com/gtrain/gtrain/models/engine"
)

// registerCUDAEngine registers the CUDA engine of this build.
func registerCUDAEngine() { engine.Register("cuda", cuda.EngineFactory()) }
