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
	res, errRes := runfiles.ReadResult(dir)
	if errRes == nil {
		c.Initial = initialMetrics(res)
	}
	if cfg, err := runfiles.ReadConfig(dir); err == nil && cfg.Schedule == "cyclic" && errRes == nil && cfg.Batch > 0 {
		// The rate of every update, from the schedule: the cyclic rate
		// changes within an epoch, which the per-epoch metrics cannot show.
		steps := res.Splits["train"].Size / cfg.Batch
		for t := 0; t < steps*len(epochs); t++ {
			c.Eta = append(c.Eta, cfg.CyclicEta(t))
		}
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
	w, rows := m.FirstLayer()
	labels, opt := m.Classes, MontageOptions{}
	if len(m.Hidden) > 0 {
		// A hidden layer's units: captioned by number, ten to a row.
		labels, opt.Cols = make([]string, rows), 10
		for i := range labels {
			labels[i] = fmt.Sprintf("unit %d", i+1)
		}
	}
	img, err := Montage(w, rows, labels, opt)
	if err != nil {
		return fmt.Errorf("%s: montage: %w", dir, err)
	}
	return WritePNG(filepath.Join(dir, WeightsPNG), img)
}

// runTitle is the one-line description of a run used in picture titles.
func runTitle(name string, cfg *config.Config) string {
	eta := fmt.Sprintf("η=%g", cfg.Eta)
	if cfg.Schedule == "cyclic" {
		eta = fmt.Sprintf("η %g..%g cyclic", cfg.EtaMin, cfg.EtaMax)
	}
	return fmt.Sprintf("%s: %s%s, λ=%g, %s, batch %d, %s", name, cfg.Loss, archOf(cfg), cfg.Lambda, eta, cfg.Batch, cfg.Length())
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

// archOf describes a network with hidden layers (", hidden 50-50 BN"), or
// nothing for the linear classifier.
func archOf(cfg *config.Config) string {
	if n := cfg.Network(); n != "" {
		return ", hidden " + n
	}
	return ""
}
