package augment

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"

	"github.com/gtrain/gtrain/data"
)

// PreviewGap is the width in pixels of the white border around and
// between the tiles of a preview.
const PreviewGap = 2

// Limits of a preview.
const (
	MaxPreviewImages = 256 // rows
	MaxPreviewCopies = 64  // augmented versions per row
	MaxPreviewScale  = 32
)

// Preview returns a grid of images: row i shows originals[i] (8-bit
// pixels, 3072 bytes in the channel-major layout of package data), then k
// versions of it augmented by p, drawn from rng in one batch of
// len(originals)*k images (row by row, k copies of each original in turn).
// Each tile is the 32×32 image enlarged scale times by pixel repetition;
// tiles are PreviewGap white pixels apart and from the border, so the
// image is (k+1)*(32*scale+PreviewGap)+PreviewGap pixels wide and
// len(originals)*(32*scale+PreviewGap)+PreviewGap high. Augmented values
// are clipped to [0, 1] and rounded to 8 bits for display only. A nil p
// shows unchanged copies.
func Preview(originals [][]uint8, p *Pipeline, rng *rand.Rand, scale, k int) (*image.NRGBA, error) {
	switch {
	case len(originals) == 0:
		return nil, errors.New("augment: preview: no images")
	case len(originals) > MaxPreviewImages:
		return nil, fmt.Errorf("augment: preview: %d images, at most %d", len(originals), MaxPreviewImages)
	case scale < 1 || scale > MaxPreviewScale:
		return nil, fmt.Errorf("augment: preview: scale must be in [1, %d], got %d", MaxPreviewScale, scale)
	case k < 0 || k > MaxPreviewCopies:
		return nil, fmt.Errorf("augment: preview: augmented copies must be in [0, %d], got %d", MaxPreviewCopies, k)
	}
	for i, o := range originals {
		if len(o) != data.ImageSize {
			return nil, fmt.Errorf("augment: preview: image %d has %d bytes, want %d", i, len(o), data.ImageSize)
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	batch := make([]float64, len(originals)*k*imageSize)
	for i, o := range originals {
		for j := range k {
			data.ToUnit(batch[(i*k+j)*imageSize:(i*k+j+1)*imageSize], o)
		}
	}
	Apply(p, batch, rng)

	tile := side*scale + PreviewGap
	img := image.NewNRGBA(image.Rect(0, 0, (k+1)*tile+PreviewGap, len(originals)*tile+PreviewGap))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	toByte := func(v float64) uint8 { return uint8(math.Round(clip01(v) * 255)) }
	for i, o := range originals {
		y0 := PreviewGap + i*tile
		drawTile(img, PreviewGap, y0, scale, func(q int) uint8 { return o[q] })
		for j := range k {
			a := batch[(i*k+j)*imageSize : (i*k+j+1)*imageSize]
			drawTile(img, PreviewGap+(j+1)*tile, y0, scale, func(q int) uint8 { return toByte(a[q]) })
		}
	}
	return img, nil
}

// drawTile draws one image, whose value at channel-major index q is
// at(q), with its top left corner at (x0, y0), enlarged scale times.
func drawTile(img *image.NRGBA, x0, y0, scale int, at func(q int) uint8) {
	for y := range side * scale {
		for x := range side * scale {
			q := (y/scale)*side + x/scale
			img.SetNRGBA(x0+x, y0+y, color.NRGBA{R: at(q), G: at(q + plane), B: at(q + 2*plane), A: 0xff})
		}
	}
}

// PreviewPNG writes the grid of Preview as a PNG image to w.
func PreviewPNG(w io.Writer, originals [][]uint8, p *Pipeline, rng *rand.Rand, scale, k int) error {
	img, err := Preview(originals, p, rng, scale, k)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("augment: preview: %w", err)
	}
	return nil
}
