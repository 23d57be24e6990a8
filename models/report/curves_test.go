package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gtrain/gtrain/models/runfiles"
	"gonum.org/v1/plot"
)

// near reports whether c is within tol of want in every channel.
func near(c, want color.RGBA, tol int) bool {
	d := func(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }
	return d(c.R, want.R) <= tol && d(c.G, want.G) <= tol && d(c.B, want.B) <= tol
}

func TestCurves(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Curves
	}{
		{"40 epochs", Curves{Title: "run: cross", Epochs: testEpochs(40), Initial: &runfiles.EpochMetrics{TrainCost: 2.4, ValCost: 2.4, TrainLoss: 2.3, ValLoss: 2.3, TrainAcc: 0.1, ValAcc: 0.1}}},
		{"one epoch", Curves{Epochs: testEpochs(1)}},
		{"NaN cost", Curves{Epochs: append(testEpochs(3), runfiles.EpochMetrics{Epoch: 4, TrainCost: math.NaN(), ValCost: math.Inf(1)})}},
	} {
		var buf bytes.Buffer
		if err := tc.c.WritePNG(&buf); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if b := img.Bounds(); b.Dx() != CurvesWidthPx || b.Dy() != CurvesHeightPx {
			t.Errorf("%s: PNG %dx%d, want %dx%d", tc.name, b.Dx(), b.Dy(), CurvesWidthPx, CurvesHeightPx)
		}
		// Both series' colours are drawn, in both panels (tolerance 8
		// per channel for antialiasing).
		var train, val [2]int
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				half := 2 * x / b.Dx()
				if near(c, trainColor, 8) {
					train[half]++
				}
				if near(c, valColor, 8) {
					val[half]++
				}
			}
		}
		for h := 0; h < 2; h++ {
			if train[h] < 20 || val[h] < 20 {
				t.Errorf("%s: panel %d has %d training and %d validation pixels, want lines of both", tc.name, h, train[h], val[h])
			}
		}
		buf.Reset()
		if err := tc.c.WriteSVG(&buf); err != nil {
			t.Fatalf("%s: SVG: %v", tc.name, err)
		}
		svg := buf.String()
		for _, s := range []string{"<svg", "epoch", "accuracy (%)", "cost / loss", "validation loss"} {
			if !strings.Contains(svg, s) {
				t.Errorf("%s: SVG lacks %q", tc.name, s)
			}
		}
	}
	var c Curves
	if err := c.WritePNG(&bytes.Buffer{}); err == nil {
		t.Error("no epochs: no error")
	}
}

func TestWriteRunPictures(t *testing.T) {
	dir := t.TempDir()
	writeTestRun(t, dir, cfgWith("cross", 0.1, 0.001, 12, 100), 0.39, 1)
	if err := WriteRunPictures(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{CurvesPNG, CurvesSVG, WeightsPNG} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// weights.png holds the montage of model.json's W.
	m, err := runfiles.ReadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, filepath.Join(dir, WeightsPNG))
	if b := img.Bounds(); b.Dx() != 688 || b.Dy() != 312 {
		t.Errorf("weights.png %v, want 688x312", b)
	}
	const class, x, y = 7, 10, 20
	row := m.W[class*ImageDim : (class+1)*ImageDim]
	i := y*Side + x
	want := color.RGBA{minMax255(row, row[i]), minMax255(row, row[1024+i]), minMax255(row, row[2048+i]), 255}
	x0, y0 := tileOrigin(class, 5, 4)
	if got := color.RGBAModel.Convert(img.At(x0+4*x+1, y0+4*y+2)).(color.RGBA); got != want {
		t.Errorf("weights.png class %d pixel (%d,%d): %v, want %v", class, x, y, got, want)
	}
	if c := decodePNG(t, filepath.Join(dir, CurvesPNG)).Bounds(); c.Dx() != CurvesWidthPx || c.Dy() != CurvesHeightPx {
		t.Errorf("curves.png %v", c)
	}

	// EnsurePictures leaves fresh pictures alone and redraws stale ones.
	old := time.Now().Add(-time.Hour)
	for _, f := range []string{CurvesPNG, WeightsPNG, runfiles.MetricsFile, runfiles.ResultFile, runfiles.ModelFile} {
		os.Chtimes(filepath.Join(dir, f), old, old)
	}
	if err := EnsurePictures(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, WeightsPNG)); !fi.ModTime().Equal(old) {
		t.Error("EnsurePictures redrew fresh pictures")
	}
	os.Chtimes(filepath.Join(dir, runfiles.ModelFile), time.Now(), time.Now())
	if err := EnsurePictures(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, WeightsPNG)); fi.ModTime().Equal(old) {
		t.Error("EnsurePictures left weights.png older than model.json")
	}

	// Without model.json the curves are still drawn, and the error says
	// what is missing.
	dir2 := t.TempDir()
	writeTestRun(t, dir2, cfgWith("svm", 0.1, 0.001, 3, 100), 0.3, 2)
	os.Remove(filepath.Join(dir2, runfiles.ModelFile))
	err = WriteRunPictures(dir2)
	if err == nil || !strings.Contains(err.Error(), runfiles.ModelFile) {
		t.Errorf("without model.json: error %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir2, CurvesPNG)); err != nil {
		t.Errorf("without model.json: %v", err)
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func TestNiceTicks(t *testing.T) {
	labels := func(ts []plot.Tick) string {
		var s []string
		for _, t := range ts {
			if t.Label != "" {
				s = append(s, t.Label)
			}
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		min, max float64
		integer  bool
		want     string
	}{
		{0, 40, true, "0 10 20 30 40"},
		{0, 10, true, "0 2 4 6 8 10"},
		{1, 3, true, "1 2 3"},
		{12, 44, false, "15 20 25 30 35 40"},
		{3.1, 9.4, false, "4 5 6 7 8 9"},
		{1.72, 2.71, false, "1.8 2.0 2.2 2.4 2.6"},
		{-0.3, 0.3, false, "-0.3 -0.2 -0.1 0.0 0.1 0.2 0.3"},
	} {
		if got := labels(niceTicks{tc.integer}.Ticks(tc.min, tc.max)); got != tc.want {
			t.Errorf("[%v, %v]: %q, want %q", tc.min, tc.max, got, tc.want)
		}
	}
}

// TestCurvesMatchMetrics checks that the lines drawn for a run directory
// are its metrics.csv (exactly: the values are read back bit for bit),
// preceded by the untrained figures of result.json at epoch 0.
func TestCurvesMatchMetrics(t *testing.T) {
	dir := t.TempDir()
	writeTestRun(t, dir, cfgWith("cross", 0.1, 0.001, 7, 100), 0.39, 1)
	ep, err := runfiles.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runfiles.ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := Curves{Epochs: ep, Initial: initialMetrics(res)}
	tr, va := res.Splits["train"], res.Splits["val"]
	want := map[string][]float64{
		"training cost": {tr.CostUntrained}, "validation cost": {va.CostUntrained},
		"training loss": {tr.LossUntrained}, "validation loss": {va.LossUntrained},
		"training": {100 * tr.AccuracyUntrained}, "validation": {100 * va.AccuracyUntrained},
	}
	for _, m := range testEpochs(7) {
		want["training cost"] = append(want["training cost"], m.TrainCost)
		want["validation cost"] = append(want["validation cost"], m.ValCost)
		want["training loss"] = append(want["training loss"], m.TrainLoss)
		want["validation loss"] = append(want["validation loss"], m.ValLoss)
		want["training"] = append(want["training"], 100*m.TrainAcc)
		want["validation"] = append(want["validation"], 100*m.ValAcc)
	}
	for _, s := range c.series() {
		w := want[s.name]
		if len(s.xy) != len(w) {
			t.Errorf("%s: %d points, want %d", s.name, len(s.xy), len(w))
			continue
		}
		for i, p := range s.xy {
			if p.X != float64(i) || p.Y != w[i] {
				t.Errorf("%s point %d: (%v, %v), want (%d, %v)", s.name, i, p.X, p.Y, i, w[i])
			}
		}
		delete(want, s.name)
	}
	if len(want) != 0 {
		t.Errorf("lines not drawn: %v", want)
	}
}

// TestCurvesEta: a cyclic run's curves have a third panel, the rate of
// every update, drawn in the right third of the picture.
func TestCurvesEta(t *testing.T) {
	c := Curves{Epochs: testEpochs(4)}
	for u := 0; u < 400; u++ {
		c.Eta = append(c.Eta, 1e-5+float64(u%200)/200*0.1)
	}
	var buf bytes.Buffer
	if err := c.WritePNG(&buf); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var thirds [3]int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if near(color.RGBAModel.Convert(img.At(x, y)).(color.RGBA), trainColor, 8) {
				thirds[3*x/b.Dx()]++
			}
		}
	}
	if thirds[2] < 100 {
		t.Errorf("the rate panel has %d line pixels", thirds[2])
	}
	buf.Reset()
	if err := c.WriteSVG(&buf); err != nil || !strings.Contains(buf.String(), "learning rate") {
		t.Errorf("SVG without the rate panel: %v", err)
	}
}
