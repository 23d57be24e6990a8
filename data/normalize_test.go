package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

// normalizerFixture returns 3 images whose even dimensions hold the
// pixels 0, 51 and 255 (0, 0.2 and 1 in unit scale) and whose odd
// dimensions are the constant 102 (0.4).
func normalizerFixture() *Dataset {
	ds := &Dataset{Pixels: make([]uint8, 3*ImageSize), Labels: make([]uint8, 3)}
	for i, v := range []uint8{0, 51, 255} {
		for j := range ImageSize {
			if j%2 == 0 {
				ds.Pixels[i*ImageSize+j] = v
			} else {
				ds.Pixels[i*ImageSize+j] = 102
			}
		}
	}
	return ds
}

func TestFitNormalizer(t *testing.T) {
	nz := FitNormalizer(normalizerFixture())
	// Even dimensions: mean (0+0.2+1)/3 = 0.4, variance
	// (0.4² + 0.2² + 0.6²)/3 = 0.56/3. Odd ones: constant, so Std 1.
	wantStd := math.Sqrt(0.56 / 3)
	for j := range ImageSize {
		ws := wantStd
		if j%2 == 1 {
			ws = 1
		}
		if !near(nz.Mean[j], 0.4, 1e-15) || !near(nz.Std[j], ws, 1e-15) {
			t.Fatalf("dimension %d: mean %v, std %v; want 0.4, %v", j, nz.Mean[j], nz.Std[j], ws)
		}
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// TestFitNormalizerTwoPass compares the integer-sum statistics with a
// plain two-pass float64 computation on random images.
func TestFitNormalizerTwoPass(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 57
	ds := &Dataset{Pixels: make([]uint8, n*ImageSize), Labels: make([]uint8, n)}
	for i := range ds.Pixels {
		// A narrow range in some dimensions makes cancellation matter.
		if i%ImageSize < 100 {
			ds.Pixels[i] = 200 + uint8(rng.IntN(2))
		} else {
			ds.Pixels[i] = uint8(rng.IntN(256))
		}
	}
	nz := FitNormalizer(ds)
	for j := range ImageSize {
		var mean, ss float64
		for i := range n {
			mean += float64(ds.Pixels[i*ImageSize+j]) / 255
		}
		mean /= n
		for i := range n {
			d := float64(ds.Pixels[i*ImageSize+j])/255 - mean
			ss += d * d
		}
		std := math.Sqrt(ss / n)
		if !near(nz.Mean[j], mean, 1e-13) || !near(nz.Std[j], std, 1e-12) {
			t.Fatalf("dimension %d: mean %v, std %v; two-pass %v, %v", j, nz.Mean[j], nz.Std[j], mean, std)
		}
	}
}

func TestNormalize(t *testing.T) {
	train := normalizerFixture()
	nz := FitNormalizer(train)
	want := func(p uint8, j int) float64 {
		if j%2 == 1 {
			return 0 // constant dimension: (0.4-0.4)/1
		}
		return (float64(p)/255 - 0.4) / math.Sqrt(0.56/3)
	}
	got64 := make([]float64, len(train.Pixels))
	Normalize(got64, train.Pixels, nz)
	for i, p := range train.Pixels {
		if w := want(p, i%ImageSize); !near(got64[i], w, 1e-14) {
			t.Fatalf("element %d: %v, want %v", i, got64[i], w)
		}
	}
	// Hand-checked values of the even dimensions.
	for i, w := range []float64{-0.9258200997725514, -0.4629100498862757, 1.3887301496588271} {
		if !near(got64[i*ImageSize], w, 1e-14) {
			t.Errorf("image %d: %v, want %v", i, got64[i*ImageSize], w)
		}
	}

	got32 := make([]float32, len(train.Pixels))
	Normalize(got32, train.Pixels, nz)
	for i := range got32 {
		if got32[i] != float32(got64[i]) {
			t.Fatalf("element %d: float32 %v != float32(%v)", i, got32[i], got64[i])
		}
	}

	// ToUnit then NormalizeFloat is Normalize, exactly in float64.
	unit := make([]float64, len(train.Pixels))
	ToUnit(unit, train.Pixels)
	for i, p := range train.Pixels {
		if unit[i] != float64(p)/255 {
			t.Fatalf("ToUnit element %d: %v", i, unit[i])
		}
	}
	NormalizeFloat(unit, unit, nz) // in place
	for i := range unit {
		if unit[i] != got64[i] {
			t.Fatalf("NormalizeFloat element %d: %v, Normalize %v", i, unit[i], got64[i])
		}
	}
	unit32 := make([]float32, len(train.Pixels))
	ToUnit(unit32, train.Pixels)
	out32 := make([]float32, len(train.Pixels))
	NormalizeFloat(out32, unit32, nz)
	for i := range out32 {
		if w := float32((float64(unit32[i]) - nz.Mean[i%ImageSize]) / nz.Std[i%ImageSize]); out32[i] != w {
			t.Fatalf("NormalizeFloat[float32] element %d: %v, want %v", i, out32[i], w)
		}
	}
}

func TestNormalizePanics(t *testing.T) {
	nz := FitNormalizer(normalizerFixture())
	for name, f := range map[string]func(){
		"Normalize lengths":      func() { Normalize(make([]float32, ImageSize), make([]uint8, 2*ImageSize), nz) },
		"Normalize partial":      func() { Normalize(make([]float64, 10), make([]uint8, 10), nz) },
		"NormalizeFloat lengths": func() { NormalizeFloat(make([]float32, ImageSize), make([]float32, 0), nz) },
		"bad normalizer":         func() { Normalize(make([]float64, ImageSize), make([]uint8, ImageSize), &Normalizer{}) },
		"ToUnit lengths":         func() { ToUnit(make([]float64, 3), make([]uint8, 4)) },
		"Fit empty":              func() { FitNormalizer(&Dataset{}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
