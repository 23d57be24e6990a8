package runfiles

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gtrain/gtrain/models/config"
)

// Files of a run directory.
const (
	ConfigFile  = "config.json"
	MetricsFile = "metrics.csv"
	ResultFile  = "result.json"
)

// MetricsHeader is the header row of metrics.csv.
var MetricsHeader = []string{"epoch", "eta", "train_loss", "train_cost", "train_accuracy", "val_loss", "val_cost", "val_accuracy", "seconds"}

// WriteConfig writes cfg as config.json into dir, creating dir.
func WriteConfig(dir string, cfg *config.Config) error {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, ConfigFile), append(b, '\n'))
}

// WriteResult writes the metrics (metrics.csv) and the result (result.json)
// into dir.
func WriteResult(dir string, res *Result) error {
	if err := WriteMetrics(dir, res.Epochs); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, ResultFile), append(b, '\n'))
}

// WriteMetrics writes one row per epoch as metrics.csv into dir.
func WriteMetrics(dir string, epochs []EpochMetrics) error {
	rows := [][]string{MetricsHeader}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, m := range epochs {
		rows = append(rows, []string{strconv.Itoa(m.Epoch), f(m.Eta),
			f(m.TrainLoss), f(m.TrainCost), f(m.TrainAcc), f(m.ValLoss), f(m.ValCost), f(m.ValAcc), f(m.Seconds)})
	}
	var buf bytes.Buffer
	if err := csv.NewWriter(&buf).WriteAll(rows); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, MetricsFile), buf.Bytes())
}

// ReadConfig reads config.json from a run directory; unknown keys are an
// error (a config.json from a newer gtrain, or edited by hand).
func ReadConfig(dir string) (*config.Config, error) {
	path := filepath.Join(dir, ConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c config.Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// ReadResult reads result.json from a run directory.
func ReadResult(dir string) (*Result, error) {
	var r Result
	if err := readJSON(filepath.Join(dir, ResultFile), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place: a reader sees the old file or
// the new one, never a half-written one. Every file of a run directory is
// written this way.
func WriteFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
