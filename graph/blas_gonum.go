//go:build !openblas && !puregonum

package graph

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// By default Gorgonia's graphs and the tensor package run their matrix
// products on SkinnyBLAS: gonum's pure-Go BLAS with a gemm for products with
// a small side. Build with -tags openblas for OpenBLAS.
func init() {
	impl := SkinnyBLAS{}
	G.Use(impl)
	tensor.Use(impl)
}

// BLAS names the BLAS the matrix products run on.
const BLAS = "gonum"
