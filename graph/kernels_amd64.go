package graph

import (
	"os"

	"golang.org/x/sys/cpu"
)

// The AVX2+FMA kernels of kernels_amd64.s, for the classifier's two
// products (gemm.go says how they are used). GTRAIN_NO_AVX2=1 turns them
// off (for comparisons).
var haveKernels = cpu.X86.HasAVX2 && cpu.X86.HasFMA && os.Getenv("GTRAIN_NO_AVX2") != "1"

//go:noescape
func sgemmNT2x5(k8 int, a0, a1, b *float32, ldb int, out *[80]float32)

//go:noescape
func dgemmNT2x5(k4 int, a0, a1, b *float64, ldb int, out *[40]float64)

//go:noescape
func sgemmTN10x8(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func dgemmTN10x4(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int)
