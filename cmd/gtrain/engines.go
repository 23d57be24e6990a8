package main

import (
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/engine"
)

// registerEngines makes the engines this binary links available to the
// trainer (engine.Default): the cpu always, the cuda in a build with the
// CUDA backend (engines_cuda.go). main calls it before any command runs.
func registerEngines() {
	engine.Register("cpu", models.CPUFactory())
	registerCUDAEngine()
}
