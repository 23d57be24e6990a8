package simd

// Sexp8 sets dst[i] = math32.Exp(x[i]) for i < 8·n8, bit for bit, 8 lanes
// at a time (AVX2; check Available).
//
//go:noescape
func Sexp8(n8 int, x, dst *float32)

// Dexp4 sets dst[i] = math.Exp(x[i]) for i < 4·n4, bit for bit, 4 lanes
// at a time (AVX2 and FMA, as math.Exp's own fused path; check Available).
//
//go:noescape
func Dexp4(n4 int, x, dst *float64)
