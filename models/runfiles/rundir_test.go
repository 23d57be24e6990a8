package runfiles

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
)

func TestRunDirRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := config.DefaultConfig()
	cfg.Data.Dir = "/data"
	if err := WriteConfig(dir, &cfg); err != nil {
		t.Fatal(err)
	}
	got, err := ReadConfig(dir)
	if err != nil || !reflect.DeepEqual(*got, cfg) {
		t.Fatalf("config round trip: %+v, %v", got, err)
	}
	res := &Result{
		Splits:       map[string]SplitResult{"train": {Size: 3, AccuracyTrained: 0.5}, "val": {}, "test": {}},
		EpochSeconds: []float64{0.25}, Device: "cpu", Dtype: "float64",
		Epochs: []EpochMetrics{{Epoch: 1, Eta: 0.001, TrainCost: 1.5, ValAcc: 0.375, Seconds: 0.25}},
	}
	if err := WriteResult(dir, res); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResult(dir)
	if err != nil || back.Splits["train"] != res.Splits["train"] || back.Device != "cpu" {
		t.Fatalf("result round trip: %+v, %v", back, err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, ResultFile))
	for _, key := range []string{`"splits"`, `"accuracy_untrained"`, `"accuracy_trained"`, `"cost_untrained"`, `"cost_trained"`, `"epoch_seconds"`, `"device": "cpu"`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("result.json lacks %s", key)
		}
	}
	f, _ := os.Open(filepath.Join(dir, MetricsFile))
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 2 || !reflect.DeepEqual(rows[0], MetricsHeader) {
		t.Fatalf("metrics.csv: %v, %v", rows, err)
	}
	if want := []string{"1", "0.001", "0", "1.5", "0", "0", "0", "0.375", "0.25"}; !reflect.DeepEqual(rows[1], want) {
		t.Errorf("metrics row %v, want %v", rows[1], want)
	}
	// No temporary files stay behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

func TestResultBlock(t *testing.T) {
	cfg := config.DefaultConfig()
	res := &Result{Splits: map[string]SplitResult{
		"train": {AccuracyUntrained: 0.1048, AccuracyTrained: 0.4643, CostTrained: 1.6912},
		"val":   {AccuracyUntrained: 0.1071, AccuracyTrained: 0.3901, CostTrained: 1.86},
		"test":  {AccuracyUntrained: 0.1085, AccuracyTrained: 0.3933, CostTrained: 1.84},
	}}
	var b bytes.Buffer
	if err := WriteResultBlock(&b, &cfg, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Model parameters:", "loss:", "cross", "lambda:", "0.1", "Training data:", "accuracy (untrained):   10.48%",
		"accuracy (trained):     46.43%", "cost (final):            1.69", "Validation data:", "39.01%", "Test data:", "39.33%"} {
		if !strings.Contains(out, want) {
			t.Errorf("result block lacks %q:\n%s", want, out)
		}
	}
}

func TestModelRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := graph.NewParams[float32](2, data.ImageSize)
	copy(p.W, []float32{1, 2, 3, 4, 5, 0.1})
	copy(p.B, []float32{-1, 1})
	nz := &data.Normalizer{Mean: make([]float64, data.ImageSize), Std: make([]float64, data.ImageSize)}
	for i := range nz.Std {
		nz.Mean[i], nz.Std[i] = 0.1, float64(1+i%3)
	}
	if err := WriteModel(dir, NewModel(graph.AsNet(p), []string{"a", "b"}, nz)); err != nil {
		t.Fatal(err)
	}
	m, err := ReadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dtype != "float32" || m.W[5] != float64(float32(0.1)) || m.B[0] != -1 || m.Std[2] != 3 || m.Classes[1] != "b" {
		t.Errorf("model round trip: %+v", m)
	}
	os.WriteFile(filepath.Join(dir, ModelFile), []byte(`{"version":1,"dtype":"float64","k":2,"d":3072,"classes":["a","b"],"w":[1],"b":[0,0]}`), 0o644)
	if _, err := ReadModel(dir); err == nil || !strings.Contains(err.Error(), "w: 1 values, want k×d = 6144") {
		t.Errorf("corrupt model: err = %v", err)
	}
}
