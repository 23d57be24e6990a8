package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/gtrain/gtrain/data"
)

const (
	side      = data.Side
	plane     = data.Side * data.Side
	imageSize = data.ImageSize
)

// Op is one augmentation. Apply64 and Apply32 modify a batch of images in
// place: imgs holds len(imgs)/3072 images in [0, 1] pixel units (see the
// package documentation); both make the same draws from rng. String
// returns the op's canonical spec, which Parse accepts.
//
// The ops of this package are Gaussian, SaltPepper, Flip, Translate and
// Jitter; their Validate method checks their parameters, and Apply
// assumes they are valid.
type Op interface {
	Apply64(imgs []float64, rng *rand.Rand)
	Apply32(imgs []float32, rng *rand.Rand)
	String() string
}

// Gaussian adds independent N(0, Sigma²) noise to every value, without
// clipping.
type Gaussian struct {
	// Sigma is the standard deviation in [0, 1] pixel units, in [0, 1].
	Sigma float64
}

// Validate reports whether Sigma is in [0, 1].
func (g Gaussian) Validate() error { return checkUnit("sigma", g.Sigma) }

// String returns "gaussian:SIGMA".
func (g Gaussian) String() string { return "gaussian:" + formatFloat(g.Sigma) }

// Apply64 adds the noise to a float64 batch.
func (g Gaussian) Apply64(imgs []float64, rng *rand.Rand) { gaussian(imgs, g.Sigma, rng) }

// Apply32 adds the noise to a float32 batch.
func (g Gaussian) Apply32(imgs []float32, rng *rand.Rand) { gaussian(imgs, g.Sigma, rng) }

func gaussian[T data.Float](x []T, sigma float64, rng *rand.Rand) {
	if sigma == 0 {
		return
	}
	for i, v := range x {
		x[i] = T(float64(v) + sigma*rng.NormFloat64())
	}
}

// SaltPepper sets a random fraction of the values (or pixels) to 0 or 1,
// each with probability 1/2.
type SaltPepper struct {
	// Fraction is the probability, in [0, 1], that a value (or pixel) is
	// hit.
	Fraction float64
	// PerPixel hits whole pixels, all three channels set to the same 0
	// or 1, instead of each of the 3072 values of an image independently.
	PerPixel bool
}

// Validate reports whether Fraction is in [0, 1].
func (s SaltPepper) Validate() error { return checkUnit("fraction", s.Fraction) }

// String returns "sp:FRACTION:value" or "sp:FRACTION:pixel".
func (s SaltPepper) String() string {
	mode := "value"
	if s.PerPixel {
		mode = "pixel"
	}
	return "sp:" + formatFloat(s.Fraction) + ":" + mode
}

// Apply64 applies the noise to a float64 batch.
func (s SaltPepper) Apply64(imgs []float64, rng *rand.Rand) {
	saltPepper(imgs, s.Fraction, s.PerPixel, rng)
}

// Apply32 applies the noise to a float32 batch.
func (s SaltPepper) Apply32(imgs []float32, rng *rand.Rand) {
	saltPepper(imgs, s.Fraction, s.PerPixel, rng)
}

func saltPepper[T data.Float](x []T, f float64, perPixel bool, rng *rand.Rand) {
	if f <= 0 {
		return
	}
	units := len(x)
	if perPixel {
		units = len(x) / data.Channels
	}
	set := func(u int) {
		v := T(rng.Uint64() >> 63)
		if !perPixel {
			x[u] = v
			return
		}
		i := u/plane*imageSize + u%plane
		x[i], x[i+plane], x[i+2*plane] = v, v, v
	}
	if f >= 1 {
		for u := range units {
			set(u)
		}
		return
	}
	// The gap before the next hit of a Bernoulli(f) sequence is
	// geometric: P(gap ≥ k) = (1-f)^k = P(U ≤ (1-f)^k) for U uniform
	// on (0, 1], so gap = floor(ln U / ln(1-f)).
	lq := math.Log1p(-f)
	for u := -1; ; {
		gap := math.Floor(math.Log(1-rng.Float64()) / lq)
		if gap >= float64(units-u-1) {
			return
		}
		u += int(gap) + 1
		set(u)
	}
}

// Flip mirrors images left to right.
type Flip struct {
	// P is the probability, in [0, 1], that an image is flipped.
	P float64
}

// Validate reports whether P is in [0, 1].
func (f Flip) Validate() error { return checkUnit("probability", f.P) }

// String returns "flip:P".
func (f Flip) String() string { return "flip:" + formatFloat(f.P) }

// Apply64 flips the images of a float64 batch.
func (f Flip) Apply64(imgs []float64, rng *rand.Rand) { flip(imgs, f.P, rng) }

// Apply32 flips the images of a float32 batch.
func (f Flip) Apply32(imgs []float32, rng *rand.Rand) { flip(imgs, f.P, rng) }

func flip[T data.Float](x []T, p float64, rng *rand.Rand) {
	for off := 0; off+imageSize <= len(x); off += imageSize {
		if rng.Float64() >= p {
			continue
		}
		// The three planes are 96 consecutive rows of Side values.
		for r := off; r < off+imageSize; r += side {
			slices.Reverse(x[r : r+side])
		}
	}
}

// Fill says what a translation puts where the shifted image leaves no
// content.
type Fill uint8

const (
	// FillZero fills with 0: black, in pixel units.
	FillZero Fill = iota
	// FillEdge repeats the nearest edge pixel of the image.
	FillEdge
)

// String returns "zero" or "edge".
func (f Fill) String() string {
	switch f {
	case FillZero:
		return "zero"
	case FillEdge:
		return "edge"
	}
	return fmt.Sprintf("Fill(%d)", uint8(f))
}

// MaxShift is the largest translation bound: a shift of Side pixels would
// leave nothing of the image.
const MaxShift = data.Side - 1

// Translate shifts each image by a random integer offset in x and y.
type Translate struct {
	// Max bounds the shift: dx and dy are drawn uniformly from the
	// integers in [-Max, Max]; Max is in [0, MaxShift].
	Max int
	// Fill says what enters at the borders.
	Fill Fill
}

// Validate reports whether Max is in [0, MaxShift] and Fill is known.
func (t Translate) Validate() error {
	if t.Max < 0 || t.Max > MaxShift {
		return fmt.Errorf("shift bound must be an integer in [0, %d], got %d", MaxShift, t.Max)
	}
	if t.Fill != FillZero && t.Fill != FillEdge {
		return fmt.Errorf("fill must be zero or edge, got %v", t.Fill)
	}
	return nil
}

// String returns "translate:MAX:FILL".
func (t Translate) String() string { return "translate:" + strconv.Itoa(t.Max) + ":" + t.Fill.String() }

// Apply64 translates the images of a float64 batch.
func (t Translate) Apply64(imgs []float64, rng *rand.Rand) { translate(imgs, t.Max, t.Fill, rng) }

// Apply32 translates the images of a float32 batch.
func (t Translate) Apply32(imgs []float32, rng *rand.Rand) { translate(imgs, t.Max, t.Fill, rng) }

func translate[T data.Float](x []T, k int, fill Fill, rng *rand.Rand) {
	if k <= 0 {
		return
	}
	var tmp [plane]T
	for off := 0; off+imageSize <= len(x); off += imageSize {
		dx := rng.IntN(2*k+1) - k
		dy := rng.IntN(2*k+1) - k
		if dx == 0 && dy == 0 {
			continue
		}
		// Output column x takes input column x-dx for x in [lo, hi).
		lo, hi := max(dx, 0), min(side+dx, side)
		for c := off; c < off+imageSize; c += plane {
			p := x[c : c+plane]
			copy(tmp[:], p)
			for y := range side {
				row := p[y*side : (y+1)*side]
				sy := y - dy
				if sy < 0 || sy >= side {
					if fill == FillZero {
						clear(row)
						continue
					}
					sy = min(max(sy, 0), side-1)
				}
				src := tmp[sy*side : (sy+1)*side]
				copy(row[lo:hi], src[lo-dx:hi-dx])
				var left, right T
				if fill == FillEdge {
					left, right = src[0], src[side-1]
				}
				for i := range row[:lo] {
					row[i] = left
				}
				for i := hi; i < side; i++ {
					row[i] = right
				}
			}
		}
	}
}

// Jitter perturbs the brightness, contrast and saturation of each image
// and clips the result to [0, 1]; see the package documentation for the
// formulas. A zero range draws nothing and leaves that property alone.
type Jitter struct {
	// Brightness B: δ ~ U[-B, B] is added to every value; B in [0, 1].
	Brightness float64
	// Contrast C: values are scaled around the image mean by
	// c ~ U[1-C, 1+C]; C in [0, 1].
	Contrast float64
	// Saturation S: pixels are blended with their grey level by
	// s ~ U[1-S, 1+S]; S in [0, 1].
	Saturation float64
}

// Validate reports whether the three ranges are in [0, 1].
func (j Jitter) Validate() error {
	if err := checkUnit("brightness", j.Brightness); err != nil {
		return err
	}
	if err := checkUnit("contrast", j.Contrast); err != nil {
		return err
	}
	return checkUnit("saturation", j.Saturation)
}

// String returns "jitter:brightness=B,contrast=C,saturation=S".
func (j Jitter) String() string {
	return "jitter:brightness=" + formatFloat(j.Brightness) +
		",contrast=" + formatFloat(j.Contrast) +
		",saturation=" + formatFloat(j.Saturation)
}

// Apply64 jitters the images of a float64 batch.
func (j Jitter) Apply64(imgs []float64, rng *rand.Rand) { jitter(imgs, j, rng) }

// Apply32 jitters the images of a float32 batch.
func (j Jitter) Apply32(imgs []float32, rng *rand.Rand) { jitter(imgs, j, rng) }

// Grey-level weights of ITU-R BT.601, as PIL and torchvision use.
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

func jitter[T data.Float](x []T, j Jitter, rng *rand.Rand) {
	for off := 0; off+imageSize <= len(x); off += imageSize {
		img := x[off : off+imageSize]
		delta, cf, sf := 0.0, 1.0, 1.0
		if j.Brightness > 0 {
			delta = (2*rng.Float64() - 1) * j.Brightness
		}
		if j.Contrast > 0 {
			cf = 1 + (2*rng.Float64()-1)*j.Contrast
		}
		if j.Saturation > 0 {
			sf = 1 + (2*rng.Float64()-1)*j.Saturation
		}
		// After brightness the mean is m+δ, so contrast gives
		// (m+δ) + c(v+δ - (m+δ)) = m + δ + c(v - m).
		m := 0.0
		if cf != 1 {
			for _, v := range img {
				m += float64(v)
			}
			m /= imageSize
		}
		base := m + delta - cf*m // v ↦ base + cf*v
		if sf == 1 {
			for i, v := range img {
				img[i] = T(clip01(base + cf*float64(v)))
			}
			continue
		}
		r, g, b := img[:plane], img[plane:2*plane], img[2*plane:]
		for i := range plane {
			vr := base + cf*float64(r[i])
			vg := base + cf*float64(g[i])
			vb := base + cf*float64(b[i])
			grey := lumaR*vr + lumaG*vg + lumaB*vb
			r[i] = T(clip01(grey + sf*(vr-grey)))
			g[i] = T(clip01(grey + sf*(vg-grey)))
			b[i] = T(clip01(grey + sf*(vb-grey)))
		}
	}
}

func clip01(v float64) float64 {
	return min(max(v, 0), 1)
}

// checkUnit reports whether v, the parameter called name, is in [0, 1].
func checkUnit(name string, v float64) error {
	if !(v >= 0 && v <= 1) { // false for NaN
		return fmt.Errorf("%s must be in [0, 1], got %s", name, formatFloat(v))
	}
	return nil
}

// formatFloat gives the shortest text that parses back to v.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
