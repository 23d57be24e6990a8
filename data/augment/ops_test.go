package augment

import (
	"math"
	"testing"
)

// Tolerances are 5 standard errors of the statistic for the sample size:
// a correct op fails one of them with probability below 1e-6, and the
// seeds are fixed, so the tests are deterministic.

func TestGaussianStatistics(t *testing.T) {
	for _, sigma := range []float64{0.01, 0.2} {
		const n = 100 // 307200 values
		x := constBatch(n, 0.5)
		Apply(mustParse(t, "gaussian:"+formatFloat(sigma)), x, newRNG(1))
		N := float64(len(x))
		noise := make([]float64, len(x))
		inside := 0 // |noise| ≤ σ
		for i, v := range x {
			noise[i] = v - 0.5
			if math.Abs(noise[i]) <= sigma {
				inside++
			}
		}
		m, s := meanStd(noise)
		within(t, "noise mean", m, 0, 5*sigma/math.Sqrt(N))
		within(t, "noise std", s, sigma, 5*sigma/math.Sqrt(2*N))
		// Normal, not just the right variance: P(|Z| ≤ 1) = 0.6827.
		const p1 = 0.682689492
		within(t, "fraction within 1σ", float64(inside)/N, p1, 5*math.Sqrt(p1*(1-p1)/N))
	}
}

func TestGaussianDoesNotClip(t *testing.T) {
	x := constBatch(1, 0.99)
	Apply(mustParse(t, "gaussian:0.1"), x, newRNG(2))
	above := 0
	for _, v := range x {
		if v > 1 {
			above++
		}
	}
	// P(0.99 + 0.1 Z > 1) = P(Z > 0.1) ≈ 0.46.
	if above < imageSize/3 {
		t.Errorf("%d of %d values above 1, want about 46 %%: gaussian noise must not be clipped", above, imageSize)
	}
}

func TestGaussianZeroIsIdentity(t *testing.T) {
	x, rng := randomBatch(3, 3), newRNG(3)
	want := append([]float64(nil), x...)
	Apply(mustParse(t, "gaussian:0"), x, rng)
	if !equal(x, want) {
		t.Error("gaussian:0 changed the images")
	}
	if rng.Uint64() != newRNG(3).Uint64() {
		t.Error("gaussian:0 drew from the RNG")
	}
}

func TestSaltPepperPerValue(t *testing.T) {
	for _, f := range []float64{0.01, 0.3} {
		const n = 100
		x := constBatch(n, 0.5)
		Apply(mustParse(t, "sp:"+formatFloat(f)), x, newRNG(4))
		N := float64(len(x))
		var hits, ones int
		var perPlane [3]int
		for i, v := range x {
			switch v {
			case 0.5:
				continue
			case 1:
				ones++
			case 0:
			default:
				t.Fatalf("f=%g: value %d set to %g, want 0 or 1", f, i, v)
			}
			hits++
			perPlane[i%imageSize/plane]++
		}
		within(t, "hit fraction", float64(hits)/N, f, 5*math.Sqrt(f*(1-f)/N))
		within(t, "fraction of 1s among hits", float64(ones)/float64(hits), 0.5, 5*math.Sqrt(0.25/float64(hits)))
		// Hits spread evenly over the channels (per value, not per pixel).
		for c, h := range perPlane {
			within(t, "hit fraction of plane "+string("RGB"[c]), float64(h)/(N/3), f, 5*math.Sqrt(f*(1-f)/(N/3)))
		}
		// Per value, the channels of a pixel are hit independently:
		// all three together with probability f³, not f.
		together := 0
		for i := range n {
			for q := range plane {
				if x[at(i, 0, 0, q)] != 0.5 && x[at(i, 1, 0, q)] != 0.5 && x[at(i, 2, 0, q)] != 0.5 {
					together++
				}
			}
		}
		f3, P := f*f*f, float64(n*plane)
		within(t, "all three channels hit", float64(together)/P, f3, 5*math.Sqrt(f3*(1-f3)/P)+1/P)
	}
}

func TestSaltPepperPerPixel(t *testing.T) {
	const n, f = 100, 0.05
	x := constBatch(n, 0.5)
	Apply(mustParse(t, "sp:0.05:pixel"), x, newRNG(5))
	var hits, ones int
	for i := range n {
		for q := range plane {
			r, g, b := x[at(i, 0, 0, q)], x[at(i, 1, 0, q)], x[at(i, 2, 0, q)]
			if r != g || g != b {
				t.Fatalf("image %d pixel %d: channels %g %g %g differ", i, q, r, g, b)
			}
			switch r {
			case 0.5:
				continue
			case 1:
				ones++
			case 0:
			default:
				t.Fatalf("image %d pixel %d set to %g", i, q, r)
			}
			hits++
		}
	}
	P := float64(n * plane)
	within(t, "pixel hit fraction", float64(hits)/P, f, 5*math.Sqrt(f*(1-f)/P))
	within(t, "fraction of 1s", float64(ones)/float64(hits), 0.5, 5*math.Sqrt(0.25/float64(hits)))
}

func TestSaltPepperExtremes(t *testing.T) {
	x := constBatch(2, 0.5)
	Apply(mustParse(t, "sp:1"), x, newRNG(6))
	ones := 0
	for _, v := range x {
		if v != 0 && v != 1 {
			t.Fatalf("sp:1 left a value %g", v)
		}
		ones += int(v)
	}
	within(t, "fraction of 1s", float64(ones)/float64(len(x)), 0.5, 5*math.Sqrt(0.25/float64(len(x))))
	x = constBatch(2, 0.5)
	Apply(mustParse(t, "sp:0:pixel"), x, newRNG(6))
	if !equal(x, constBatch(2, 0.5)) {
		t.Error("sp:0 changed values")
	}
}

func TestFlip(t *testing.T) {
	const n, p = 2000, 0.3
	in := randomBatch(n, 7)
	x := append([]float64(nil), in...)
	Apply(mustParse(t, "flip:0.3"), x, newRNG(7))
	flipped := 0
	for i := range n {
		img, out := in[i*imageSize:(i+1)*imageSize], x[i*imageSize:(i+1)*imageSize]
		switch {
		case equal(out, img):
		case equal(out, mirror(img)):
			flipped++
		default:
			t.Fatalf("image %d is neither the original nor its exact mirror", i)
		}
	}
	within(t, "flip rate", float64(flipped)/n, p, 5*math.Sqrt(p*(1-p)/n))

	// flip:1 flips every image, and twice gives the original back.
	x = append(x[:0], in[:10*imageSize]...)
	Apply(mustParse(t, "flip:1"), x, newRNG(8))
	for i := range 10 {
		if !equal(x[i*imageSize:(i+1)*imageSize], mirror(in[i*imageSize:(i+1)*imageSize])) {
			t.Fatalf("flip:1: image %d is not the mirror", i)
		}
	}
	Apply(mustParse(t, "flip:1"), x, newRNG(9))
	if !equal(x, in[:10*imageSize]) {
		t.Error("flipping twice is not the identity")
	}
	Apply(mustParse(t, "flip:0"), x, newRNG(9))
	if !equal(x, in[:10*imageSize]) {
		t.Error("flip:0 changed an image")
	}
}

// codeBatch returns n images whose values are distinct and non-zero, so
// that a value tells where it came from.
func codeBatch(n int) []float64 {
	x := make([]float64, n*imageSize)
	for i := range n {
		for q := range imageSize {
			x[i*imageSize+q] = float64(q+1) / (imageSize + 1)
		}
	}
	return x
}

func TestTranslate(t *testing.T) {
	for _, tc := range []struct {
		spec string
		k    int
		edge bool
	}{
		{"translate:4", 4, false},
		{"translate:4:edge", 4, true},
		{"translate:2:zero", 2, false},
		{"translate:31:edge", 31, true},
		{"translate:31", 31, false},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			const n = 2000
			in := codeBatch(1)
			x := codeBatch(n)
			Apply(mustParse(t, tc.spec), x, newRNG(10))
			replay := newRNG(10)
			m := 2*tc.k + 1
			var countX, countY = make([]int, m), make([]int, m)
			pairs := map[[2]int]bool{}
			for i := range n {
				// The documented draws: dx, then dy.
				dx, dy := replay.IntN(m)-tc.k, replay.IntN(m)-tc.k
				out := x[i*imageSize : (i+1)*imageSize]
				// Expected image, from the definition.
				for c := range 3 {
					for y := range side {
						for xx := range side {
							sx, sy := xx-dx, y-dy
							want := 0.0
							switch {
							case sx >= 0 && sx < side && sy >= 0 && sy < side:
								want = in[at(0, c, sy, sx)]
							case tc.edge:
								want = in[at(0, c, min(max(sy, 0), side-1), min(max(sx, 0), side-1))]
							}
							if got := out[at(0, c, y, xx)]; got != want {
								t.Fatalf("image %d (dx %d, dy %d): channel %d (%d, %d) = %g, want %g", i, dx, dy, c, xx, y, got, want)
							}
						}
					}
				}
				// The shift seen in the content: where the value of
				// input pixel (sx, sy) landed.
				if tc.k < side/2 {
					v := out[at(0, 0, side/2, side/2)]
					q := int(math.Round(v*(imageSize+1))) - 1
					if sx, sy := q%side, q/side; side/2-sx != dx || side/2-sy != dy {
						t.Fatalf("image %d: content moved by (%d, %d), drawn (%d, %d)", i, side/2-sx, side/2-sy, dx, dy)
					}
				}
				countX[dx+tc.k]++
				countY[dy+tc.k]++
				pairs[[2]int{dx, dy}] = true
			}
			// Every shift in [-k, k] occurs, about equally often.
			pm := 1 / float64(m)
			for s := range m {
				within(t, "frequency of dx", float64(countX[s])/n, pm, 5*math.Sqrt(pm*(1-pm)/n))
				within(t, "frequency of dy", float64(countY[s])/n, pm, 5*math.Sqrt(pm*(1-pm)/n))
			}
			if tc.k <= 4 && len(pairs) != m*m {
				t.Errorf("%d of the %d (dx, dy) pairs seen", len(pairs), m*m)
			}
		})
	}
}

func TestTranslateZeroBound(t *testing.T) {
	x, rng := randomBatch(2, 11), newRNG(11)
	want := append([]float64(nil), x...)
	Apply(mustParse(t, "translate:0"), x, rng)
	if !equal(x, want) {
		t.Error("translate:0 changed an image")
	}
	if rng.Uint64() != newRNG(11).Uint64() {
		t.Error("translate:0 drew from the RNG")
	}
}

func TestJitterBrightness(t *testing.T) {
	const n, b = 4000, 0.2
	x := constBatch(n, 0.5)
	Apply(mustParse(t, "jitter:brightness=0.2"), x, newRNG(12))
	deltas := make([]float64, n)
	for i := range n {
		img := x[i*imageSize : (i+1)*imageSize]
		d := img[0] - 0.5
		if math.Abs(d) > b {
			t.Fatalf("image %d: shift %g outside [-%g, %g]", i, d, b, b)
		}
		for _, v := range img {
			if v != img[0] {
				t.Fatalf("image %d: brightness shift not uniform over the image", i)
			}
		}
		deltas[i] = d
	}
	m, s := meanStd(deltas)
	sd := b / math.Sqrt(3) // of U[-b, b]
	within(t, "brightness shift mean", m, 0, 5*sd/math.Sqrt(n))
	// SE(s) ≈ SE(s²)/(2σ), SE(s²) = sqrt((μ4 - σ⁴)/n) = 2b²/sqrt(45n).
	within(t, "brightness shift std", s, sd, 5*(2*b*b/math.Sqrt(45*n))/(2*sd))
}

func TestJitterContrast(t *testing.T) {
	const n, C = 500, 0.2
	// Values in [0.3, 0.7]: no clipping for a factor up to 1.2.
	in := randomBatch(n, 13)
	for i := range in {
		in[i] = 0.3 + 0.4*in[i]
	}
	x := append([]float64(nil), in...)
	Apply(mustParse(t, "jitter:contrast=0.2"), x, newRNG(13))
	factors := make([]float64, n)
	for i := range n {
		a, b := in[i*imageSize:(i+1)*imageSize], x[i*imageSize:(i+1)*imageSize]
		ma, _ := meanStd(a)
		mb, _ := meanStd(b)
		within(t, "mean after contrast", mb, ma, 1e-12)
		// One factor c for the whole image: b - m = c (a - m).
		k := 0
		for j := range a {
			if math.Abs(a[j]-ma) > 0.1 {
				k = j
				break
			}
		}
		c := (b[k] - ma) / (a[k] - ma)
		if c < 1-C-1e-12 || c > 1+C+1e-12 {
			t.Fatalf("image %d: contrast factor %g outside [%g, %g]", i, c, 1-C, 1+C)
		}
		for j := range a {
			if math.Abs(b[j]-ma-c*(a[j]-ma)) > 1e-12 {
				t.Fatalf("image %d value %d: %g, want %g", i, j, b[j], ma+c*(a[j]-ma))
			}
		}
		factors[i] = c
	}
	m, _ := meanStd(factors)
	within(t, "contrast factor mean", m, 1, 5*C/math.Sqrt(3*n))
}

func TestJitterSaturation(t *testing.T) {
	const n, S = 200, 0.5
	grey := func(img []float64, q int) float64 {
		return 0.299*img[q] + 0.587*img[q+plane] + 0.114*img[q+2*plane]
	}
	// Colours in [0.4, 0.6]: no clipping for a factor up to 1.5.
	in := randomBatch(n, 14)
	for i := range in {
		in[i] = 0.4 + 0.2*in[i]
	}
	x := append([]float64(nil), in...)
	Apply(mustParse(t, "jitter:saturation=0.5"), x, newRNG(14))
	var lo, hi float64 = 2, 0
	for i := range n {
		a, b := in[i*imageSize:(i+1)*imageSize], x[i*imageSize:(i+1)*imageSize]
		var s float64
		for q := range plane {
			g := grey(a, q)
			within(t, "grey level after saturation", grey(b, q), g, 1e-12)
			if math.Abs(a[q]-g) > 0.02 {
				s = (b[q] - g) / (a[q] - g)
				break
			}
		}
		for q := range plane {
			g := grey(a, q)
			for c := range 3 {
				want := g + s*(a[c*plane+q]-g)
				if math.Abs(b[c*plane+q]-want) > 1e-12 {
					t.Fatalf("image %d: channel %d pixel %d = %g, want %g (s = %g)", i, c, q, b[c*plane+q], want, s)
				}
			}
		}
		lo, hi = min(lo, s), max(hi, s)
	}
	if lo < 1-S-1e-9 || hi > 1+S+1e-9 || lo > 0.6 || hi < 1.4 {
		t.Errorf("saturation factors span [%g, %g], want inside and near [%g, %g]", lo, hi, 1-S, 1+S)
	}
	// Grey images stay as they are.
	x = constBatch(3, 0.25)
	Apply(mustParse(t, "jitter:saturation=1"), x, newRNG(15))
	for _, v := range x {
		if math.Abs(v-0.25) > 1e-15 {
			t.Fatalf("saturation changed a grey image: %g", v)
		}
	}
}

func TestJitterClips(t *testing.T) {
	x := randomBatch(200, 16)
	Apply(mustParse(t, "gaussian:0.3", "jitter:brightness=1,contrast=1,saturation=1"), x, newRNG(16))
	var zeros, ones int
	for i, v := range x {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("value %d = %g after jitter, outside [0, 1]", i, v)
		}
		if v == 0 {
			zeros++
		}
		if v == 1 {
			ones++
		}
	}
	if zeros == 0 || ones == 0 {
		t.Errorf("%d zeros and %d ones: strong jitter should clip at both ends", zeros, ones)
	}
}
