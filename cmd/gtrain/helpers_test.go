package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"
)

func fmtPercent(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) }

func writePNG(t *testing.T, path string, side int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			img.Set(x, y, color.RGBA{uint8(4 * x), uint8(4 * y), 128, 255})
		}
	}
	savePNG(t, path, img)
}

// savePNG writes img as a PNG file.
func savePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
