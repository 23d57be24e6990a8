package augment

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

func TestPreviewPNG(t *testing.T) {
	const rows, k, scale = 3, 4, 3
	originals := make([][]uint8, rows)
	r := newRNG(30)
	for i := range originals {
		originals[i] = make([]uint8, imageSize)
		for q := range originals[i] {
			originals[i][q] = uint8(r.IntN(256))
		}
	}
	var buf bytes.Buffer
	if err := PreviewPNG(&buf, originals, mustParse(t, "flip:1"), newRNG(31), scale, k); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tile := side*scale + PreviewGap
	b := img.Bounds()
	if b.Min.X != 0 || b.Min.Y != 0 || b.Dx() != (k+1)*tile+PreviewGap || b.Dy() != rows*tile+PreviewGap {
		t.Fatalf("bounds %v, want %d×%d", b, (k+1)*tile+PreviewGap, rows*tile+PreviewGap)
	}
	rgb := func(x, y int) [3]uint8 {
		r, g, b, _ := img.At(x, y).RGBA()
		return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
	}
	for i, o := range originals {
		for col := range k + 1 {
			x0, y0 := PreviewGap+col*tile, PreviewGap+i*tile
			for y := range side * scale {
				for x := range side * scale {
					sx := x / scale
					if col > 0 { // flip:1 mirrors every copy
						sx = side - 1 - sx
					}
					q := (y/scale)*side + sx
					want := [3]uint8{o[q], o[q+plane], o[q+2*plane]}
					if got := rgb(x0+x, y0+y); got != want {
						t.Fatalf("row %d tile %d pixel (%d, %d) = %v, want %v", i, col, x, y, got, want)
					}
				}
			}
			// The gap left of and above each tile is white.
			for d := 1; d <= PreviewGap; d++ {
				if got := rgb(x0-d, y0); got != [3]uint8{255, 255, 255} {
					t.Fatalf("gap left of row %d tile %d is %v", i, col, got)
				}
				if got := rgb(x0, y0-d); got != [3]uint8{255, 255, 255} {
					t.Fatalf("gap above row %d tile %d is %v", i, col, got)
				}
			}
		}
	}
}

func TestPreviewErrors(t *testing.T) {
	good := [][]uint8{make([]uint8, imageSize)}
	for _, tc := range []struct {
		originals [][]uint8
		p         *Pipeline
		scale, k  int
		want      string
	}{
		{nil, nil, 2, 2, "no images"},
		{[][]uint8{make([]uint8, 10)}, nil, 2, 2, "image 0 has 10 bytes, want 3072"},
		{good, nil, 0, 2, "scale must be in [1, 32], got 0"},
		{good, nil, 2, -1, "augmented copies must be in [0, 64], got -1"},
		{good, &Pipeline{Ops: []Op{Flip{P: 2}}}, 2, 2, "probability must be in [0, 1], got 2"},
	} {
		var buf bytes.Buffer
		err := PreviewPNG(&buf, tc.originals, tc.p, newRNG(1), tc.scale, tc.k)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
