// Package augment perturbs training images on the fly: gaussian and
// salt-and-pepper noise, horizontal flips, random translations and
// photometric jitter, composed into a Pipeline that is parsed from short
// text specs and applied to each training mini-batch.
//
// # Units
//
// Every op works on images in [0, 1] pixel units (data.ToUnit: byte/255),
// before per-dimension normalization: the trainer gathers a batch's 8-bit
// pixels, converts them with data.ToUnit, calls Apply, then maps the result
// to normalized inputs with data.NormalizeFloat. So the σ of gaussian noise
// is a fraction of the full pixel range (σ = 0.01 is 2.55 grey levels), and
// salt and pepper sets values to 0 (black) and 1 (white). This is the scale
// of the DD2424 report's experiments ("gaussian noise with mean 0 and
// standard deviation 0.01"; salt and pepper to 0 or 1).
//
// Images use the CIFAR-10 channel-major layout of package data: 3072 values
// per image, 1024 red, then 1024 green, then 1024 blue, each plane a
// row-major 32×32 image. A batch is n such images back to back.
//
// # Ops and specs
//
// A spec is NAME:ARGS; Parse reads a list of them and String/Specs give the
// canonical form back (floats in Go's shortest round-trip form, modes spelt
// out), which Parse reads to the same Pipeline.
//
//	gaussian:SIGMA      add N(0, SIGMA²) to every value, SIGMA in [0, 1];
//	                    NOT clipped (as numpy's X + noise): values may leave
//	                    [0, 1], a later jitter op clips them.
//	sp:F[:value|pixel]  salt and pepper: each value (mode value, the default:
//	                    every channel of every pixel independently, as
//	                    numpy's rand(*X.shape) < F) or each pixel (mode
//	                    pixel: its three channels together, giving black and
//	                    white specks) is hit with probability F in [0, 1]
//	                    and set to 0 or 1 with equal probability.
//	flip[:P]            mirror an image left to right with probability P in
//	                    [0, 1] (default 0.5), decided per image.
//	translate:K[:zero|edge]
//	                    shift an image by (dx, dy), each drawn uniformly from
//	                    the integers in [-K, K], K in [0, 31]: output pixel
//	                    (x, y) is input pixel (x-dx, y-dy), so dx > 0 moves
//	                    the content right and dy > 0 down. Pixels that come
//	                    from outside the image are 0 (zero, the default:
//	                    black, in pixel units, not the normalized mean) or
//	                    copy the nearest edge pixel (edge).
//	jitter:brightness=B,contrast=C,saturation=S
//	                    per image, in this order: add δ ~ U[-B, B] to every
//	                    value; scale around the image's mean value m (over
//	                    all 3072 values) by c ~ U[1-C, 1+C]:
//	                    v ← m + c(v - m); blend every pixel with its grey
//	                    level g = 0.299R + 0.587G + 0.114B by
//	                    s ~ U[1-S, 1+S]: v ← g + s(v - g); then clip every
//	                    value to [0, 1] (once, at the end). B, C and S lie in
//	                    [0, 1]; each key is optional (default 0, no draw),
//	                    at least one must be given. Jitter always clips, so
//	                    it also clips earlier gaussian noise.
//
// Ops run in the order given, so order matters: jitter after gaussian
// noise clips the noise, and jitter after translate:K:zero shifts and
// scales the black fill with the rest of the image (put geometric ops last
// to keep it black). Bad parameters (out of range, NaN, ±Inf, a
// non-integer K), unknown ops or modes and malformed specs are errors that
// quote the spec and give the allowed range.
//
// Note for command lines: the jitter spec contains commas, which a flag
// parser may split at (urfave/cli's StringSliceFlag does unless
// App.DisableSliceFlagSeparator is set), giving "jitter:brightness=0.2",
// "contrast=0.2"; Parse joins such KEY=VALUE pieces back onto the jitter
// spec before them, so both forms give the same Pipeline.
//
// # Randomness
//
// All draws come from the *rand.Rand the caller passes, in a documented
// order, so the same seed gives the same output, and float32 and float64
// batches consume exactly the same draws (the arithmetic is done in float64
// and rounded to the element type when stored). Per op and per image in
// batch order: flip draws one Float64 (flip when it is < P); translate
// draws dx then dy with IntN(2K+1)-K (nothing when K = 0); jitter draws one
// Float64 for each of brightness, contrast and saturation whose range is
// non-zero, in that order. Gaussian draws one NormFloat64 per value in batch
// order (nothing when SIGMA = 0). Salt and pepper walks the batch's values
// (or pixels) as one Bernoulli(F) sequence, drawing the gap to the next hit
// from a geometric distribution (one Float64) and the hit's value (one
// Uint64, its top bit), so its cost is proportional to the number of hits.
//
// Apply allocates nothing, so it can run on every mini-batch. A Pipeline
// holds no state beyond its parameters and is safe for concurrent use with
// distinct RNGs.
package augment
