//go:build !amd64

package graph

// Without amd64 there are no assembly kernels: the products run on gonum.
var haveKernels = false

func sgemmNT2x5(k8 int, a0, a1, b *float32, ldb int, out *[80]float32) { panic("no kernels") }
func dgemmNT2x5(k4 int, a0, a1, b *float64, ldb int, out *[40]float64) { panic("no kernels") }
func sgemmTN10x8(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("no kernels")
}
func dgemmTN10x4(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int) {
	panic("no kernels")
}
