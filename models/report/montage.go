package report

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// CIFAR-10 image geometry: Side×Side pixels, Channels colour planes. An
// image is Side·Side·Channels values, channel-major (all red values, then
// all green, then all blue), each plane row-major.
const (
	Side     = 32
	Channels = 3
	ImageDim = Side * Side * Channels
)

// Layout of the picture grids (the montage and the image grids): tiles of
// Side·Scale pixels separated and surrounded by GridPad pixels, each with
// a LabelHeight-pixel band for its caption below it.
const (
	GridPad     = 8
	LabelHeight = 16
)

// labelFace is the caption font: basicfont ships with golang.org/x/image.
var labelFace font.Face = basicfont.Face7x13

// MontageOptions lay out the montage. Zero values take the defaults.
type MontageOptions struct {
	// Cols is the number of pictures per row (default 5: 2×5 for ten
	// classes; 10 gives 1×10).
	Cols int
	// Scale enlarges each 32×32 template by nearest neighbour (default 4).
	Scale int
}

// Montage draws the class templates of a linear classifier as the
// course's montage does: row k of w (k×ImageDim values, row-major) is
// reshaped to a 32×32 RGB image, scaled to [0, 255] by its own minimum and
// maximum over all three channels (a constant row becomes mid grey),
// enlarged Scale times and captioned with classes[k]. Tile k's pixel (x, y)
// has its top-left corner at
//
//	(GridPad + c·(Side·Scale+GridPad) + x·Scale, GridPad + r·(Side·Scale+LabelHeight+GridPad) + y·Scale)
//
// with r, c = k/Cols, k%Cols.
func Montage(w []float64, k int, classes []string, opt MontageOptions) (*image.RGBA, error) {
	if k <= 0 || len(w) != k*ImageDim {
		return nil, fmt.Errorf("W has %d values, want %d classes × %d", len(w), k, ImageDim)
	}
	if classes != nil && len(classes) != k {
		return nil, fmt.Errorf("%d class names for %d classes", len(classes), k)
	}
	tiles := make([]*image.RGBA, k)
	for i := range tiles {
		row := w[i*ImageDim : (i+1)*ImageDim]
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("class %d: W holds %v", i, v)
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		tiles[i] = planarImage(row, func(v float64) uint8 { return scaleMinMax(v, lo, hi) })
	}
	return grid(tiles, classes, opt.Cols, opt.Scale, 5)
}

// scaleMinMax maps v in [lo, hi] to [0, 255], rounding to nearest; a
// constant range maps to 128.
func scaleMinMax(v, lo, hi float64) uint8 {
	if hi <= lo {
		return 128
	}
	return uint8(math.Round(255 * (v - lo) / (hi - lo)))
}

// planarImage turns ImageDim channel-major values into a 32×32 image,
// converting each with f.
func planarImage[T any](v []T, f func(T) uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, Side, Side))
	const plane = Side * Side
	for y := 0; y < Side; y++ {
		for x := 0; x < Side; x++ {
			i := y*Side + x
			img.SetRGBA(x, y, color.RGBA{R: f(v[i]), G: f(v[plane+i]), B: f(v[2*plane+i]), A: 0xff})
		}
	}
	return img
}

// ImageGrid lays out CIFAR images (each ImageDim bytes, channel-major, as
// the CIFAR-10 files store them) in a grid of cols columns, enlarged scale
// times (0: 4), with labels[i] under image i when labels is not nil (an
// empty label leaves the band blank). The geometry is Montage's.
func ImageGrid(images [][]uint8, labels []string, cols, scale int) (*image.RGBA, error) {
	if len(images) == 0 {
		return nil, fmt.Errorf("no images")
	}
	if labels != nil && len(labels) != len(images) {
		return nil, fmt.Errorf("%d labels for %d images", len(labels), len(images))
	}
	tiles := make([]*image.RGBA, len(images))
	for i, im := range images {
		if len(im) != ImageDim {
			return nil, fmt.Errorf("image %d has %d values, want %d", i, len(im), ImageDim)
		}
		tiles[i] = planarImage(im, func(v uint8) uint8 { return v })
	}
	return grid(tiles, labels, cols, scale, len(images))
}

// AugmentationGrid shows augmentation at work: row i holds originals[i]
// followed by its augmented versions variants[i][0], variants[i][1], ...
// (every row the same length); the first row is captioned "original",
// "1", "2", .... Images are as in ImageGrid.
func AugmentationGrid(originals [][]uint8, variants [][][]uint8, scale int) (*image.RGBA, error) {
	if len(originals) == 0 || len(variants) != len(originals) {
		return nil, fmt.Errorf("%d originals and %d rows of variants: want as many, at least one", len(originals), len(variants))
	}
	n := len(variants[0])
	var images [][]uint8
	var labels []string
	for i, o := range originals {
		if len(variants[i]) != n {
			return nil, fmt.Errorf("row %d has %d variants, row 0 has %d", i, len(variants[i]), n)
		}
		images = append(images, o)
		images = append(images, variants[i]...)
		for j := 0; j <= n; j++ {
			switch {
			case i > 0:
				labels = append(labels, "")
			case j == 0:
				labels = append(labels, "original")
			default:
				labels = append(labels, fmt.Sprint(j))
			}
		}
	}
	return ImageGrid(images, labels, n+1, scale)
}

// grid draws 32×32 tiles, enlarged by nearest neighbour, cols per row
// (defaultCols when 0), with captions, on white.
func grid(tiles []*image.RGBA, labels []string, cols, scale, defaultCols int) (*image.RGBA, error) {
	if cols == 0 {
		cols = defaultCols
	}
	if scale == 0 {
		scale = 4
	}
	if cols < 1 || scale < 1 || scale > 64 {
		return nil, fmt.Errorf("layout of %d columns at scale %d: want ≥ 1 column and a scale in [1, 64]", cols, scale)
	}
	if cols > len(tiles) {
		cols = len(tiles)
	}
	rows := (len(tiles) + cols - 1) / cols
	t := Side * scale
	width := GridPad + cols*(t+GridPad)
	height := GridPad + rows*(t+LabelHeight+GridPad)
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	for i, tile := range tiles {
		r, c := i/cols, i%cols
		x0 := GridPad + c*(t+GridPad)
		y0 := GridPad + r*(t+LabelHeight+GridPad)
		for y := 0; y < t; y++ {
			for x := 0; x < t; x++ {
				dst.SetRGBA(x0+x, y0+y, tile.RGBAAt(x/scale, y/scale))
			}
		}
		if labels != nil && labels[i] != "" {
			drawLabel(dst, labels[i], x0, x0+t, y0+t)
		}
	}
	return dst, nil
}

// drawLabel centres s in black below a tile spanning [x0, x1) whose
// bottom edge is at y, shortening it to fit.
func drawLabel(dst *image.RGBA, s string, x0, x1, y int) {
	d := &font.Drawer{Dst: dst, Src: image.Black, Face: labelFace}
	r := []rune(s)
	for len(r) > 1 && d.MeasureString(string(r)).Ceil() > x1-x0+GridPad {
		r = r[:len(r)-1]
	}
	w := d.MeasureString(string(r)).Ceil()
	asc := labelFace.Metrics().Ascent.Ceil()
	d.Dot = fixed.P(x0+(x1-x0-w)/2, y+2+asc)
	d.DrawString(string(r))
}
