package simd

import (
	"math"
	"testing"

	"github.com/chewxy/math32"
)

// TestSexpAsMath32 compares Sexp8 with math32.Exp bit for bit: on every
// 997th float32 bit pattern (all signs, exponents, NaNs and infinities),
// on every float32 of [0.3, 0.4] and of [0.99, 1.01] in magnitude (where
// k turns from 0 to ±1), of [88, 89] and [103.5, 104] in magnitude (the
// edges of overflow and of the subnormals), and on the special values.
func TestSexpAsMath32(t *testing.T) {
	if !Available {
		t.Skip("no AVX2 on this CPU")
	}
	var xs []float32
	for b := uint64(0); b < 1<<32; b += 997 {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	for _, r := range [][2]float32{{0.3, 0.4}, {-0.4, -0.3}, {0.99, 1.01}, {-1.01, -0.99}, {88, 89}, {-89, -88}, {103.5, 104}, {-104, -103.5}} {
		for x := r[0]; x <= r[1]; x = math.Nextafter32(x, float32(math.Inf(1))) {
			xs = append(xs, x)
		}
	}
	xs = append(xs, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0x7FC00001), math.Float32frombits(0xFFC00000),
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 88.72283, 88.72284, -87.33654, -103.97208)
	checkExpBits(t, xs, 8, Sexp8, math32.Exp, func(v float32) uint64 { return uint64(math.Float32bits(v)) })
}

// TestDexpAsMath compares Dexp4 with math.Exp bit for bit: on 2^22
// float64 bit patterns spread over all of them, on 2^18 values each near
// where k turns from 0 to ±1, near overflow (709.78) and through the
// subnormal results (−707 to −709, −744 to −746), and on the special
// values.
func TestDexpAsMath(t *testing.T) {
	if !Available {
		t.Skip("no AVX2 on this CPU")
	}
	var xs []float64
	for b := uint64(0); b < 1<<22; b++ {
		xs = append(xs, math.Float64frombits(b*(1<<42)+b*2654435761%(1<<42)))
	}
	for _, r := range [][2]float64{{0.34, 0.35}, {-0.35, -0.34}, {709.7, 709.8}, {-746, -744}, {-709, -707}} {
		for x := r[0]; x <= r[1]; x += (r[1] - r[0]) / (1 << 18) {
			xs = append(xs, x)
		}
	}
	xs = append(xs, 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
		math.Float64frombits(0x7FF0000000000001), math.Float64frombits(0xFFF8000000000000),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 7.09782712893384e+02,
		math.Nextafter(7.09782712893384e+02, 1000), -745.1332191019411, -745.1332191019412, -1e300, 1e-300)
	checkExpBits(t, xs, 4, Dexp4, math.Exp, math.Float64bits)
}

// checkExpBits runs vec over xs (padded to whole groups of lanes) and
// compares each value's bits with the scalar routine's.
func checkExpBits[T float32 | float64](t *testing.T, xs []T, lanes int, vec func(n int, x, dst *T), scalar func(T) T, bits func(T) uint64) {
	t.Helper()
	for len(xs)%lanes != 0 {
		xs = append(xs, 1)
	}
	got := make([]T, len(xs))
	vec(len(xs)/lanes, &xs[0], &got[0])
	bad := 0
	for i, x := range xs {
		if want := scalar(x); bits(got[i]) != bits(want) {
			if bad++; bad <= 10 {
				t.Errorf("Exp(%g) (bits %#x) = %g (%#x), the scalar routine gives %g (%#x)", x, bits(x), got[i], bits(got[i]), want, bits(want))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d values differ", bad, len(xs))
	}
}
