//go:build !amd64

package simd

import "unsafe"

// Without amd64 there are no assembly kernels: package graph's products
// run on gonum.
var Available = false

func SgemmNT2x5(k8 int, a0, a1, b *float32, ldb int, out *[80]float32) { panic("simd: no kernels") }
func DgemmNT2x5(k4 int, a0, a1, b *float64, ldb int, out *[40]float64) { panic("simd: no kernels") }
func SgemmTN10x8(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("simd: no kernels")
}
func DgemmTN10x4(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int) {
	panic("simd: no kernels")
}
func SgemmTN5x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("simd: no kernels")
}
func DgemmTN5x8(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int) {
	panic("simd: no kernels")
}
func SscaleAxpy(n int, a float32, x *float32, b float32, y *float32) { panic("simd: no kernels") }
func DscaleAxpy(n int, a float64, x *float64, b float64, y *float64) { panic("simd: no kernels") }

// Available512 is false without amd64: there are no AVX-512 kernels.
var Available512 = false

func Pack8Rows(kw int, a unsafe.Pointer, lda int, dst unsafe.Pointer) { panic("simd: no kernels") }
func SgemmNT8x5(kw int, ap *float32, b *float32, ldb int, out *[320]float32, carry bool) {
	panic("simd: no kernels")
}
func DgemmNT8x5(kw int, ap *float64, b *float64, ldb int, out *[160]float64, carry bool) {
	panic("simd: no kernels")
}
func SgemmTN5x64Z(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, store bool) {
	panic("simd: no kernels")
}
func DgemmTN5x32Z(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, store bool) {
	panic("simd: no kernels")
}

func Sexp8(n8 int, x, dst *float32) { panic("simd: no kernels") }
func Dexp4(n4 int, x, dst *float64) { panic("simd: no kernels") }
func SgemmTN5x64U(k int, a *float32, lda int, b *float32, ldb int, w *float32, ldw int, sa, sb *[5]float32) {
	panic("simd: no kernels")
}
func DgemmTN5x32U(k int, a *float64, lda int, b *float64, ldb int, w *float64, ldw int, sa, sb *[5]float64) {
	panic("simd: no kernels")
}
