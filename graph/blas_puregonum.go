//go:build puregonum && !openblas

package graph

import (
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// With the puregonum build tag the matrix products run on gonum's pure-Go
// BLAS as it is, Gorgonia's default (for comparisons with SkinnyBLAS):
// UseBLAS installs it, whatever the options.
func buildBLAS(BLASOptions) G.BLAS { return gonum.Implementation{} }

// BLAS names the BLAS UseBLAS installs.
const BLAS = "gonum (as it is)"
