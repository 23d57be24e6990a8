//go:build puregonum && !openblas

package graph

// With the puregonum build tag the matrix products run on gonum's pure-Go
// BLAS as it is, Gorgonia's default (for comparisons with SkinnyBLAS).

// BLAS names the BLAS the matrix products run on.
const BLAS = "gonum (as it is)"
