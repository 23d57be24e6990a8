package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
)

// Files this package writes into a run directory.
const (
	CurvesPNG    = "curves.png"
	CurvesSVG    = "curves.svg"
	WeightsPNG   = "weights.png"
	AugmentPNG   = "augment.png"
	MetricsJSONL = "metrics.jsonl"
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
	epochs, err := ReadMetrics(dir)
	if err != nil {
		return err
	}
	c := Curves{Title: runName(dir), Epochs: epochs}
	if cfg, err := models.ReadConfig(dir); err == nil {
		c.Title = runTitle(runName(dir), cfg)
	}
	if res, err := models.ReadResult(dir); err == nil {
		c.Initial = initialMetrics(res)
	}
	var pngBuf, svgBuf bytes.Buffer
	if err := c.WritePNG(&pngBuf); err != nil {
		return fmt.Errorf("%s: curves: %w", dir, err)
	}
	if err := c.WriteSVG(&svgBuf); err != nil {
		return fmt.Errorf("%s: curves: %w", dir, err)
	}
	if err := models.WriteFileAtomic(filepath.Join(dir, CurvesPNG), pngBuf.Bytes()); err != nil {
		return err
	}
	return models.WriteFileAtomic(filepath.Join(dir, CurvesSVG), svgBuf.Bytes())
}

func writeRunMontage(dir string) error {
	m, err := models.ReadModel(dir)
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
func initialMetrics(res *models.Result) *models.EpochMetrics {
	tr, ok1 := res.Splits["train"]
	va, ok2 := res.Splits["val"]
	if !ok1 || !ok2 {
		return nil
	}
	return &models.EpochMetrics{Epoch: 0,
		TrainLoss: tr.LossUntrained, TrainCost: tr.CostUntrained, TrainAcc: tr.AccuracyUntrained,
		ValLoss: va.LossUntrained, ValCost: va.CostUntrained, ValAcc: va.AccuracyUntrained}
}

// ReadMetrics reads metrics.csv of a run directory. Columns are found by
// their names in models.MetricsHeader; unknown extra columns are ignored.
func ReadMetrics(dir string) ([]models.EpochMetrics, error) {
	path := filepath.Join(dir, models.MetricsFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	col := make(map[string]int)
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, name := range models.MetricsHeader {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("%s: no column %q", path, name)
		}
	}
	epochs := make([]models.EpochMetrics, 0, len(rows)-1)
	for n, row := range rows[1:] {
		var perr error
		get := func(name string) float64 {
			i := col[name]
			if i >= len(row) {
				perr = fmt.Errorf("%s: line %d: no %s", path, n+2, name)
				return 0
			}
			v, err := strconv.ParseFloat(row[i], 64)
			if err != nil && perr == nil {
				perr = fmt.Errorf("%s: line %d: %s %q is not a number", path, n+2, name, row[i])
			}
			return v
		}
		m := models.EpochMetrics{
			Epoch: int(get("epoch")), Eta: get("eta"),
			TrainLoss: get("train_loss"), TrainCost: get("train_cost"), TrainAcc: get("train_accuracy"),
			ValLoss: get("val_loss"), ValCost: get("val_cost"), ValAcc: get("val_accuracy"),
			Seconds: get("seconds"),
		}
		if perr != nil {
			return nil, perr
		}
		epochs = append(epochs, m)
	}
	return epochs, nil
}

// WriteMetricsJSONL writes the per-epoch metrics as metrics.jsonl into dir:
// one JSON object per line, with the keys of models.EpochMetrics' JSON
// form in the order of metrics.csv's columns, numbers in their shortest
// exact form and a non-finite value (a diverged run) as null. Like metrics.csv it may be
// rewritten after every epoch; it is replaced atomically.
func WriteMetricsJSONL(dir string, epochs []models.EpochMetrics) error {
	var buf bytes.Buffer
	for _, m := range epochs {
		vals := []float64{m.Eta, m.TrainLoss, m.TrainCost, m.TrainAcc, m.ValLoss, m.ValCost, m.ValAcc, m.Seconds}
		fmt.Fprintf(&buf, `{"epoch":%d`, m.Epoch)
		for i, v := range vals {
			num := "null"
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				num = strconv.FormatFloat(v, 'g', -1, 64)
			}
			fmt.Fprintf(&buf, ",%q:%s", jsonlKeys[i], num)
		}
		buf.WriteString("}\n")
	}
	return models.WriteFileAtomic(filepath.Join(dir, MetricsJSONL), buf.Bytes())
}

// jsonlKeys are the keys of metrics.jsonl after "epoch".
var jsonlKeys = []string{"eta", "train_loss", "train_cost", "train_accuracy", "val_loss", "val_cost", "val_accuracy", "seconds"}

// WritePNG encodes img as a PNG file at path, replacing it atomically.
func WritePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return models.WriteFileAtomic(path, buf.Bytes())
}
