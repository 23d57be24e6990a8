//go:build openblas

package graph

/*
#cgo LDFLAGS: -lopenblas
*/
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// With the openblas build tag, Gorgonia's graphs and the tensor package run
// their matrix products on OpenBLAS (Debian: libopenblas-dev) through cgo.
func init() {
	impl := netlib.Implementation{}
	G.Use(impl)
	tensor.Use(impl)
}

// BLAS names the BLAS the matrix products run on.
const BLAS = "openblas"
