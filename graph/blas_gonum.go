//go:build !openblas

package graph

// BLAS names the BLAS the matrix products run on: gonum's pure-Go BLAS,
// Gorgonia's default. Build with -tags openblas for OpenBLAS.
const BLAS = "gonum"
