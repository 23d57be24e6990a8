// Package simd holds the AVX2+FMA kernels of package graph's two skinny
// matrix products, and AVX-512 kernels that give their bits for the wide
// products of stacks (graph/kernels.go says how they are used). It is its
// own package because a package with Go assembly cannot use cgo, which
// graph does in its OpenBLAS build.
package simd

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

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

// Available512 reports whether the CPU also has AVX-512 (F and DQ): what
// the wide kernels below need. They give the bits of the AVX2 kernels.
var Available512 = Available && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ

// Pack8Rows copies kw chunks of 32 bytes (8 float32 or 4 float64) of 8
// rows, row i at a + i·lda bytes, to dst (256·kw bytes) in the order the
// AVX-512 NT kernels read them: chunk c of rows 2q and 2q+1 side by side
// at dst + 256c + 64q, one 512-bit load.
//
//go:noescape
func Pack8Rows(kw int, a unsafe.Pointer, lda int, dst unsafe.Pointer)

// SgemmNT8x5 sets out[16(5q+j) : 16(5q+j)+16] to the 8 lane sums of
// Σ_l a_(2q)[l]·b_j[l] followed by those of a_(2q+1), over kw chunks of 8,
// for 8 rows a_i packed by Pack8Rows into ap and the rows b_j = b + j·ldb
// (j < 5): per entry SgemmNT2x5's lanes, two entries to a 512-bit register.
// With carry the sums start from out's values instead of zero, so that a
// product cut into blocks of k gives the bits of one call over all of k.
//
//go:noescape
func SgemmNT8x5(kw int, ap *float32, b *float32, ldb int, out *[320]float32, carry bool)

// DgemmNT8x5 is SgemmNT8x5 in float64: chunks of 4, out[8(5q+j) : 8(5q+j)+8].
//
//go:noescape
func DgemmNT8x5(kw int, ap *float64, b *float64, ldb int, out *[160]float64, carry bool)

// SgemmTN5x64Z adds to c_r[0:64] (c_r = c + r·ldc, r < 5) the sums
// Σ_{l<k} a[l·lda + r]·b[l·ldb : l·ldb+64]: per entry SgemmTN5x16's chain of
// fused multiply-adds, on four 512-bit registers per row. With store it
// sets c_r to the sums (plus +0) instead: the bits of adding them to a
// zeroed c, without zeroing it first.
//
//go:noescape
func SgemmTN5x64Z(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, store bool)

// DgemmTN5x32Z is SgemmTN5x64Z in float64, 32 columns.
//
//go:noescape
func DgemmTN5x32Z(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, store bool)

// SgemmTN5x64U sets w_r[0:64] (w_r = w + r·ldw, r < 5) to
// sa[r]·w_r + sb[r]·(s_r + 0), s_r the sums of SgemmTN5x64Z over l < k:
// the bits of SgemmTN5x64Z's stored sums followed by SscaleAxpy, without
// the sums going through memory (a stack's update from its ∂W).
//
//go:noescape
func SgemmTN5x64U(k int, a *float32, lda int, b *float32, ldb int, w *float32, ldw int, sa, sb *[5]float32)

// DgemmTN5x32U is SgemmTN5x64U in float64, 32 columns (DgemmTN5x32Z,
// DscaleAxpy).
//
//go:noescape
func DgemmTN5x32U(k int, a *float64, lda int, b *float64, ldb int, w *float64, ldw int, sa, sb *[5]float64)
