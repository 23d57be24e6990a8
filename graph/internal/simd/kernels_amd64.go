// Package simd holds the AVX2+FMA kernels of package graph's two skinny
// matrix products (graph/kernels.go says how they are used). It is its
// own package because a package with Go assembly cannot use cgo, which
// graph does in its OpenBLAS build.
package simd

import "golang.org/x/sys/cpu"

// Available reports whether the CPU has AVX2 and FMA: what the kernels
// need. Whether they are used is package graph's choice, made by its
// caller (graph.BLASOptions.NoAVX2).
var Available = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// SgemmNT2x5 sets out[8(5r+j) : 8(5r+j)+8] to the 8 lane sums of
// Σ_l a_r[l]·b_j[l] over k8 chunks of 8 elements, for the rows a_0 = a0,
// a_1 = a1 and b_j = b + j·ldb, j < 5.
//
//go:noescape
func SgemmNT2x5(k8 int, a0, a1, b *float32, ldb int, out *[80]float32)

// DgemmNT2x5 is SgemmNT2x5 in float64: chunks of 4, out[4(5r+j) : 4(5r+j)+4].
//
//go:noescape
func DgemmNT2x5(k4 int, a0, a1, b *float64, ldb int, out *[40]float64)

// SgemmTN10x8 adds to c_r[0:8] (c_r = c + r·ldc, r < 10) the sums
// Σ_{l<k} a[l·lda + r]·b[l·ldb : l·ldb+8].
//
//go:noescape
func SgemmTN10x8(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// DgemmTN10x4 is SgemmTN10x8 in float64, 4 columns.
//
//go:noescape
func DgemmTN10x4(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int)

// SgemmTN5x16 adds to c_r[0:16] (c_r = c + r·ldc, r < 5) the sums
// Σ_{l<k} a[l·lda + r]·b[l·ldb : l·ldb+16]: per entry the chain of fused
// multiply-adds of SgemmTN10x8, so the two give the same bits; 5 rows of
// two registers load each row of b once per 10 products, not per 10 of
// one register (a stack's ∂W, many rows of 10).
//
//go:noescape
func SgemmTN5x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// DgemmTN5x8 is SgemmTN5x16 in float64, 8 columns.
//
//go:noescape
func DgemmTN5x8(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int)

// SscaleAxpy sets x[i] = a·x[i] + b·y[i] for i < n: both products rounded,
// then their sum, the bits of x *= a followed by x += b·y (gonum's Sscal
// and Saxpy) in one pass over x.
//
//go:noescape
func SscaleAxpy(n int, a float32, x *float32, b float32, y *float32)

// DscaleAxpy is SscaleAxpy in float64.
//
//go:noescape
func DscaleAxpy(n int, a float64, x *float64, b float64, y *float64)
