package report

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// tileOrigin is the documented position of tile k's top-left pixel.
func tileOrigin(k, cols, scale int) (int, int) {
	r, c := k/cols, k%cols
	return GridPad + c*(Side*scale+GridPad), GridPad + r*(Side*scale+LabelHeight+GridPad)
}

func TestMontageGeometry(t *testing.T) {
	w := make([]float64, 10*ImageDim)
	for i := range w {
		w[i] = float64(i % 97)
	}
	for _, tc := range []struct {
		opt  MontageOptions
		w, h int
	}{
		{MontageOptions{}, 8 + 5*(128+8), 8 + 2*(128+16+8)},                    // 2×5 at ×4
		{MontageOptions{Cols: 10, Scale: 2}, 8 + 10*(64+8), 8 + (64 + 16 + 8)}, // 1×10 at ×2
		{MontageOptions{Cols: 3, Scale: 1}, 8 + 3*(32+8), 8 + 4*(32+16+8)},     // 4 rows, the last one partly empty
	} {
		img, err := Montage(w, 10, testClasses, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%+v: size %dx%d, want %dx%d", tc.opt, b.Dx(), b.Dy(), tc.w, tc.h)
		}
		// The corner and the padding are white.
		if c := img.RGBAAt(0, 0); c != (color.RGBA{255, 255, 255, 255}) {
			t.Errorf("%+v: corner %v, want white", tc.opt, c)
		}
	}
}

// TestMontagePixels checks exact pixel values (tolerance 0: the scaling
// rounds to the nearest integer) of templates with known rows.
func TestMontagePixels(t *testing.T) {
	const k = 10
	rng := rand.New(rand.NewPCG(3, 4))
	w := make([]float64, k*ImageDim)
	for c := 0; c < k; c++ {
		row := w[c*ImageDim : (c+1)*ImageDim]
		switch c {
		case 0: // a ramp over the channel-major index: 0 at R(0,0), 255 at B(31,31)
			for i := range row {
				row[i] = float64(i) * 0.5
			}
		case 1: // constant: mid grey
			for i := range row {
				row[i] = -3
			}
		default:
			for i := range row {
				row[i] = rng.NormFloat64() * float64(c)
			}
		}
	}
	for _, opt := range []MontageOptions{{}, {Cols: 10, Scale: 3}} {
		img, err := Montage(w, k, testClasses, opt)
		if err != nil {
			t.Fatal(err)
		}
		cols, scale := 5, 4
		if opt.Cols != 0 {
			cols, scale = opt.Cols, opt.Scale
		}
		for _, p := range []struct{ class, x, y int }{
			{0, 0, 0}, {0, 31, 31}, {0, 7, 5}, {1, 3, 9}, {2, 0, 0}, {7, 16, 20}, {9, 31, 0},
		} {
			row := w[p.class*ImageDim : (p.class+1)*ImageDim]
			i := p.y*Side + p.x
			want := color.RGBA{minMax255(row, row[i]), minMax255(row, row[1024+i]), minMax255(row, row[2048+i]), 255}
			if p.class == 1 {
				want = color.RGBA{128, 128, 128, 255}
			}
			x0, y0 := tileOrigin(p.class, cols, scale)
			// Every pixel of the enlarged block holds the value.
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					if got := img.RGBAAt(x0+p.x*scale+dx, y0+p.y*scale+dy); got != want {
						t.Errorf("cols %d: class %d pixel (%d,%d)+(%d,%d): %v, want %v", cols, p.class, p.x, p.y, dx, dy, got, want)
					}
				}
			}
		}
		// The ramp's ends are black and white exactly; (7,5) of the red
		// plane is index 167 of 3071.
		x0, y0 := tileOrigin(0, cols, scale)
		if got := img.RGBAAt(x0, y0); got != (color.RGBA{0, 85, 170, 255}) {
			t.Errorf("ramp (0,0) = %v, want {0 85 170 255}", got)
		}
		if got := img.RGBAAt(x0+31*scale, y0+31*scale); got.B != 255 {
			t.Errorf("ramp (31,31) blue = %d, want 255", got.B)
		}
	}
}

// TestMontageLabels checks that each class name is drawn in its band
// below its tile and nowhere else.
func TestMontageLabels(t *testing.T) {
	w := make([]float64, 10*ImageDim)
	labels := make([]string, 10)
	labels[3] = "cat"
	img, err := Montage(w, 10, labels, MontageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 10; k++ {
		x0, y0 := tileOrigin(k, 5, 4)
		band := image.Rect(x0, y0+128, x0+128, y0+128+LabelHeight)
		dark := darkPixels(img, band)
		if k == 3 && dark < 10 {
			t.Errorf("class %d: %d dark pixels in its label band, want the text", k, dark)
		}
		if k != 3 && dark != 0 {
			t.Errorf("class %d: %d dark pixels in an empty label band", k, dark)
		}
	}
}

func darkPixels(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := img.RGBAAt(x, y); c.R < 128 && c.G < 128 && c.B < 128 {
				n++
			}
		}
	}
	return n
}

func TestMontageErrors(t *testing.T) {
	nan := make([]float64, 2*ImageDim)
	nan[5000] = 0 / zero
	for _, tc := range []struct {
		name    string
		w       []float64
		k       int
		classes []string
		opt     MontageOptions
	}{
		{"short W", make([]float64, 100), 10, nil, MontageOptions{}},
		{"no classes", nil, 0, nil, MontageOptions{}},
		{"names", make([]float64, 2*ImageDim), 2, []string{"a"}, MontageOptions{}},
		{"NaN", nan, 2, nil, MontageOptions{}},
		{"scale", make([]float64, 2*ImageDim), 2, nil, MontageOptions{Scale: -1}},
	} {
		if _, err := Montage(tc.w, tc.k, tc.classes, tc.opt); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

var zero float64

func TestImageGrid(t *testing.T) {
	imgs := make([][]uint8, 3)
	for n := range imgs {
		imgs[n] = make([]uint8, ImageDim)
		for i := range imgs[n] {
			imgs[n][i] = uint8(i/1024*100 + n) // R = n, G = 100+n, B = 200+n
		}
	}
	img, err := ImageGrid(imgs, []string{"a", "", "c"}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 8+2*(64+8) || b.Dy() != 8+2*(64+16+8) {
		t.Errorf("size %v", b)
	}
	for n := range imgs {
		x0, y0 := tileOrigin(n, 2, 2)
		want := color.RGBA{uint8(n), uint8(100 + n), uint8(200 + n), 255}
		if got := img.RGBAAt(x0+63, y0+63); got != want {
			t.Errorf("image %d: %v, want %v", n, got, want)
		}
	}

	// An augmentation grid of 2 originals with 3 variants each: 2 rows
	// of 4, captions on the first row only.
	v := [][][]uint8{{imgs[1], imgs[2], imgs[1]}, {imgs[2], imgs[1], imgs[2]}}
	g, err := AugmentationGrid(imgs[:2], v, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b := g.Bounds(); b.Dx() != 8+4*(32+8) || b.Dy() != 8+2*(32+16+8) {
		t.Errorf("augmentation grid size %v", b)
	}
	x0, y0 := tileOrigin(5, 4, 1) // row 1, column 1: variants[1][0] = imgs[2]
	if got := g.RGBAAt(x0, y0); got != (color.RGBA{2, 102, 202, 255}) {
		t.Errorf("augmentation grid tile 5: %v", got)
	}
	x0, y0 = tileOrigin(0, 4, 1)
	if darkPixels(g, image.Rect(x0-4, y0+32, x0+36, y0+32+LabelHeight)) == 0 {
		t.Error("no caption under the first original")
	}
	x0, y0 = tileOrigin(4, 4, 1)
	if darkPixels(g, image.Rect(x0, y0+32, x0+32, y0+32+LabelHeight)) != 0 {
		t.Error("caption under the second row")
	}

	for _, bad := range []func() error{
		func() error { _, err := ImageGrid(nil, nil, 1, 1); return err },
		func() error { _, err := ImageGrid(imgs, []string{"a"}, 1, 1); return err },
		func() error { _, err := ImageGrid([][]uint8{{1, 2}}, nil, 1, 1); return err },
		func() error { _, err := AugmentationGrid(imgs[:2], v[:1], 1); return err },
		func() error { _, err := AugmentationGrid(imgs[:2], [][][]uint8{{imgs[0]}, {}}, 1); return err },
	} {
		if bad() == nil {
			t.Error("bad input: no error")
		}
	}
}
