package report

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"path/filepath"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// Files this package writes into a run directory.
const (
	CurvesPNG  = "curves.png"
	CurvesSVG  = "curves.svg"
	WeightsPNG = "weights.png"
	AugmentPNG = "augment.png"
)

// WriteRunPictures reads the run directory dir (metrics.csv, result.json
// when present, model.json) and writes its pictures into it: the learning
// curves as curves.png and curves.svg, and the class-template montage of W
// as weights.png. It writes what it can and returns the first problem.
func WriteRunPictures(dir string) error {
	errCurves := writeRunCurves(dir)
	errMontage := writeRunMontage(dir)
	if errCurves != nil {
		return errCurves
	}
	return errMontage
}

func writeRunCurves(dir string) error {
	epochs, err := runfiles.ReadMetrics(dir)
	if err != nil {
		return err
	}
	c := Curves{Title: runName(dir), Epochs: epochs}
	if cfg, err := runfiles.ReadConfig(dir); err == nil {
		c.Title = runTitle(runName(dir), cfg)
	}
	if res, err := runfiles.ReadResult(dir); err == nil {
		c.Initial = initialMetrics(res)
	}
	var pngBuf, svgBuf bytes.Buffer
	if err := c.WritePNG(&pngBuf); err != nil {
		return fmt.Errorf("%s: curves: %w", dir, err)
	}
	if err := c.WriteSVG(&svgBuf); err != nil {
		return fmt.Errorf("%s: curves: %w", dir, err)
	}
	if err := runfiles.WriteFileAtomic(filepath.Join(dir, CurvesPNG), pngBuf.Bytes()); err != nil {
		return err
	}
	return runfiles.WriteFileAtomic(filepath.Join(dir, CurvesSVG), svgBuf.Bytes())
}

func writeRunMontage(dir string) error {
	m, err := runfiles.ReadModel(dir)
	if err != nil {
		return err
	}
	img, err := Montage(m.W, m.K, m.Classes, MontageOptions{})
	if err != nil {
		return fmt.Errorf("%s: montage: %w", dir, err)
	}
	return WritePNG(filepath.Join(dir, WeightsPNG), img)
}

// runTitle is the one-line description of a run used in picture titles.
func runTitle(name string, cfg *config.Config) string {
	return fmt.Sprintf("%s: %s, λ=%g, η=%g, batch %d, %d epochs", name, cfg.Loss, cfg.Lambda, cfg.Eta, cfg.Batch, cfg.Epochs)
}

// initialMetrics returns the untrained network's figures as epoch 0, or
// nil when the result lacks the training or validation split.
func initialMetrics(res *runfiles.Result) *runfiles.EpochMetrics {
	tr, ok1 := res.Splits["train"]
	va, ok2 := res.Splits["val"]
	if !ok1 || !ok2 {
		return nil
	}
	return &runfiles.EpochMetrics{Epoch: 0,
		TrainLoss: tr.LossUntrained, TrainCost: tr.CostUntrained, TrainAcc: tr.AccuracyUntrained,
		ValLoss: va.LossUntrained, ValCost: va.CostUntrained, ValAcc: va.AccuracyUntrained}
}

// WritePNG encodes img as a PNG file at path, replacing it atomically.
func WritePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return runfiles.WriteFileAtomic(path, buf.Bytes())
}
