//go:build !openblas && !puregonum

package graph

import G "gorgonia.org/gorgonia"

// By default Gorgonia's graphs and the tensor package run their matrix
// products on SkinnyBLAS (UseBLAS installs it): gonum's pure-Go BLAS with
// a gemm for products with a small side. Build with -tags openblas for
// OpenBLAS.
func buildBLAS(opt BLASOptions) G.BLAS {
	return SkinnyBLAS{NoAVX2: opt.NoAVX2, NoAVX512: opt.NoAVX512}
}

// BLAS names the BLAS UseBLAS installs.
const BLAS = "gonum"
