package runfiles

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"testing"
)

// TestCheckpointEncoding: the file is what CheckpointVersion says, the
// struct as encoding/json writes it with field sha256 set to the SHA-256
// of the same encoding without it, and float arrays are JSON strings of
// base64 little-endian bytes (the form of the files written before the
// encoding was done in one pass); it decodes to the same values, bit for
// bit, and one changed byte is refused.
func TestCheckpointEncoding(t *testing.T) {
	cfg := smallConfig()
	ck := &Checkpoint{Version: CheckpointVersion, ConfigHash: cfg.Hash(), Dtype: "float64", Epoch: 1, Eta: 0.1,
		W: Floats{1, -2.5, math.SmallestNonzeroFloat64, math.MaxFloat64, math.Copysign(0, -1), 3}, B: Floats{0, 1},
		Epochs: []EpochMetrics{{Epoch: 1}}, EpochSeconds: []float64{0.5}, BestW: Floats{}}
	file, err := EncodeCheckpoint(ck)
	if err != nil {
		t.Fatal(err)
	}
	c := *ck
	body, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	c.Checksum = hex.EncodeToString(sum[:])
	want, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, want) {
		t.Fatalf("file\n%s\nwant\n%s", file, want)
	}
	var raw []byte
	for _, v := range ck.B {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
	}
	if s, _ := json.Marshal(base64.StdEncoding.EncodeToString(raw)); !bytes.Contains(file, append([]byte(`"b":`), s...)) {
		t.Errorf("b is not the JSON string %s in %s", s, file)
	}
	back, err := DecodeCheckpoint(file)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bitsOf(back.W), bitsOf(ck.W)) || !slices.Equal(bitsOf(back.B), bitsOf(ck.B)) {
		t.Errorf("decoded W %v b %v, want %v %v", back.W, back.B, ck.W, ck.B)
	}
	for _, bad := range [][]byte{
		bytes.Replace(file, []byte(`"eta":0.1`), []byte(`"eta":0.2`), 1),
		bytes.Replace(file, []byte(`"b":"AAAAAAAAAAA`), []byte(`"b":"AAAAAAAAAAB`), 1),
		bytes.Replace(file, []byte(`"sha256":"`), []byte(`"sha256":"0`), 1),
	} {
		if bytes.Equal(bad, file) {
			t.Fatal("the test's edit changed nothing")
		}
		if _, err := DecodeCheckpoint(bad); err == nil {
			t.Errorf("an edited checkpoint was accepted: %s", bad)
		}
	}
}

func bitsOf(v []float64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = math.Float64bits(x)
	}
	return out
}
