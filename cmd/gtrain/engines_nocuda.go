//go:build !gtrain_cuda

package main

// registerCUDAEngine registers nothing: this gtrain was built without
// CUDA. --device cuda is refused before any engine is built
// (checkDevice, with cuda.ErrNotBuilt), and a configuration that names
// the device is refused by Config.Validate, whose error lists the
// backends there are.
func registerCUDAEngine() {}
