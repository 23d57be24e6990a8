package runfiles

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// MetricsJSONL is the per-epoch metrics as JSON lines, beside metrics.csv.
const MetricsJSONL = "metrics.jsonl"

// ReadMetrics reads metrics.csv of a run directory. Columns are found by
// their names in MetricsHeader; unknown extra columns are ignored.
func ReadMetrics(dir string) ([]EpochMetrics, error) {
	path := filepath.Join(dir, MetricsFile)
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
	for _, name := range MetricsHeader {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("%s: no column %q", path, name)
		}
	}
	epochs := make([]EpochMetrics, 0, len(rows)-1)
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
		m := EpochMetrics{
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
// one JSON object per line, with the keys of EpochMetrics' JSON
// form in the order of metrics.csv's columns, numbers in their shortest
// exact form and a non-finite value (a diverged run) as null. Like metrics.csv it may be
// rewritten after every epoch; it is replaced atomically.
func WriteMetricsJSONL(dir string, epochs []EpochMetrics) error {
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
	return WriteFileAtomic(filepath.Join(dir, MetricsJSONL), buf.Bytes())
}

// jsonlKeys are the keys of metrics.jsonl after "epoch".
var jsonlKeys = []string{"eta", "train_loss", "train_cost", "train_accuracy", "val_loss", "val_cost", "val_accuracy", "seconds"}
