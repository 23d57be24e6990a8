package runfiles

import (
	"bytes"
	"math"
	"testing"
)

// FuzzDecodeCheckpoint: any bytes give a checked checkpoint or an error,
// never a panic; an accepted checkpoint is consistent.
func FuzzDecodeCheckpoint(f *testing.F) {
	cfg := smallConfig()
	good, _ := EncodeCheckpoint(&Checkpoint{Version: CheckpointVersion, ConfigHash: cfg.Hash(), Dtype: "float64", Epoch: 1, Eta: 0.1,
		W: Floats{1, 2, 3, 4}, B: Floats{0, 1}, Epochs: []EpochMetrics{{Epoch: 1}}, EpochSeconds: []float64{0.5}})
	f.Add(good)
	f.Add([]byte(`{"version":1,"w":"AAAAAAAA8D8=","b":"AAAAAAAA8D8="}`))
	f.Add(bytes.Replace(good, []byte(`"epoch":1`), []byte(`"epoch":2`), 1))
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
