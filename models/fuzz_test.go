package models

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// FuzzDecodeCheckpoint: any bytes give a checked checkpoint or an error,
// never a panic; an accepted checkpoint is consistent.
func FuzzDecodeCheckpoint(f *testing.F) {
	cfg := smallConfig()
	good, _ := json.Marshal(&Checkpoint{Version: checkpointVersion, ConfigHash: cfg.Hash(), Dtype: "float64", Epoch: 1, Eta: 0.1,
		W: floats{1, 2, 3, 4}, B: floats{0, 1}, Epochs: []EpochMetrics{{Epoch: 1}}, EpochSeconds: []float64{0.5}})
	f.Add(good)
	f.Add([]byte(`{"version":1,"w":"AAAAAAAA8D8=","b":"AAAAAAAA8D8="}`))
	f.Add([]byte(`{"version":99}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ck, err := DecodeCheckpoint(raw)
		if err != nil {
			return
		}
		if len(ck.B) == 0 || len(ck.W)%len(ck.B) != 0 || len(ck.Epochs) != ck.Epoch || math.IsNaN(ck.Eta) {
			t.Fatalf("inconsistent checkpoint accepted: %+v", ck)
		}
	})
}

// FuzzConfigYAML: any YAML gives a configuration or an error naming the
// problem, never a panic.
func FuzzConfigYAML(f *testing.F) {
	f.Add("loss: svm\nlambda: 0.1\n")
	f.Add("augment: [\"flip:0.5\"]\ndata:\n  train: [data_batch_1]\n")
	f.Add("epochs: [1, 2]\n")
	f.Add("lamda: 1\n")
	f.Add("{")
	f.Fuzz(func(t *testing.T, text string) {
		cfg := DefaultConfig()
		if err := DecodeConfigYAML(bytes.NewReader([]byte(text)), "fuzz.yaml", &cfg); err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}
