package data

import (
	"fmt"
	"math"
	"math/bits"
)

// Float is the set of floating-point element types of training data.
type Float interface{ ~float32 | ~float64 }

// Normalizer holds per-dimension statistics of training images, in units
// of pixels scaled to [0, 1].
type Normalizer struct {
	// Mean is the mean of each of the ImageSize dimensions.
	Mean []float64
	// Std is the population standard deviation (ddof 0) of each
	// dimension, except that a constant dimension, whose deviation is 0,
	// has Std 1: normalizing it then gives 0 instead of dividing by zero.
	Std []float64
}

// FitNormalizer returns the per-dimension mean and population standard
// deviation of the pixels of train scaled to [0, 1], as the course
// computes them with numpy (X/255, X.mean(axis=0), X.std(axis=0)).
// It panics if train is empty.
func FitNormalizer(train *Dataset) *Normalizer {
	n := train.Len()
	if n == 0 {
		panic("data: FitNormalizer of an empty dataset")
	}
	// The sums of the 8-bit pixels and of their squares are exact
	// integers, so n*Σx² - (Σx)² is the exact variance numerator: no
	// rounding error accumulates and none cancels. It needs 128 bits
	// only for more than about 2^24 images, which math/bits handles.
	sum := make([]uint64, ImageSize)
	sumSq := make([]uint64, ImageSize)
	for i := range n {
		for j, p := range train.Image(i) {
			sum[j] += uint64(p)
			sumSq[j] += uint64(p) * uint64(p)
		}
	}
	nz := &Normalizer{Mean: make([]float64, ImageSize), Std: make([]float64, ImageSize)}
	nf := float64(n)
	for j := range ImageSize {
		nz.Mean[j] = float64(sum[j]) / (255 * nf) // 255*nf is exact
		hi1, lo1 := bits.Mul64(uint64(n), sumSq[j])
		hi2, lo2 := bits.Mul64(sum[j], sum[j])
		lo, borrow := bits.Sub64(lo1, lo2, 0)
		hi, _ := bits.Sub64(hi1, hi2, borrow) // ≥ 0 by Cauchy–Schwarz
		num := float64(hi)*(1<<64) + float64(lo)
		if num == 0 {
			nz.Std[j] = 1
			continue
		}
		nz.Std[j] = math.Sqrt(num) / (255 * nf)
	}
	return nz
}

// Normalize sets dst to (pixels/255 - Mean)/Std, image by image: pixels
// and dst hold n row-major images of ImageSize values. The arithmetic is
// done in float64 and converted to T at the end, so a float32 result is
// the float64 result rounded. Normalize panics if the lengths of dst and
// pixels differ or are not a multiple of ImageSize.
func Normalize[T Float](dst []T, pixels []uint8, nz *Normalizer) {
	checkLengths(len(dst), len(pixels), nz)
	for i := 0; i < len(dst); i += ImageSize {
		d, p := dst[i:i+ImageSize], pixels[i:i+ImageSize]
		for j, m := range nz.Mean {
			d[j] = T((float64(p[j])/255 - m) / nz.Std[j])
		}
	}
}

// NormalizeFloat sets dst to (src - Mean)/Std for src already scaled to
// [0, 1], such as an augmented batch from ToUnit. dst and src may be the
// same slice. The arithmetic is done in float64. NormalizeFloat panics
// if the lengths of dst and src differ or are not a multiple of
// ImageSize.
func NormalizeFloat[T Float](dst, src []T, nz *Normalizer) {
	checkLengths(len(dst), len(src), nz)
	for i := 0; i < len(dst); i += ImageSize {
		d, s := dst[i:i+ImageSize], src[i:i+ImageSize]
		for j, m := range nz.Mean {
			d[j] = T((float64(s[j]) - m) / nz.Std[j])
		}
	}
}

// ToUnit sets dst to pixels/255, computed in float64. It panics if the
// lengths of dst and pixels differ.
func ToUnit[T Float](dst []T, pixels []uint8) {
	if len(dst) != len(pixels) {
		panic(fmt.Sprintf("data: ToUnit: len(dst) = %d, len(pixels) = %d", len(dst), len(pixels)))
	}
	for i, p := range pixels {
		dst[i] = T(float64(p) / 255)
	}
}

func checkLengths(dst, src int, nz *Normalizer) {
	switch {
	case dst != src:
		panic(fmt.Sprintf("data: normalize: len(dst) = %d, len(src) = %d", dst, src))
	case src%ImageSize != 0:
		panic(fmt.Sprintf("data: normalize: length %d is not a multiple of ImageSize", src))
	case len(nz.Mean) != ImageSize || len(nz.Std) != ImageSize:
		panic(fmt.Sprintf("data: normalize: normalizer has %d means and %d deviations, want %d", len(nz.Mean), len(nz.Std), ImageSize))
	}
}
