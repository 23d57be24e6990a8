package runfiles

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
)

// CheckpointFile is the checkpoint's file in a run directory.
const CheckpointFile = "checkpoint.json"

// CheckpointVersion is the version of the checkpoint format. Version 2:
// a JSON object (the fields of Checkpoint) exactly as encoding/json writes
// it, whose field "sha256" is the hex SHA-256 of the same encoding with
// that field left out; float arrays are base64 of their little-endian
// IEEE-754 float64 bytes, so that values round-trip exactly; RNG states are
// math/rand/v2 PCG MarshalBinary outputs.
//
// Version 1 had no checksum. Such files are refused rather than trusted:
// an edited v1 file (or a v2 file whose checksum was deleted and version
// lowered) cannot be told from a good one, and a resume from an altered
// checkpoint gives a silently different result. Checkpoints only live
// while a run is unfinished, so the cost is retraining those runs.
const CheckpointVersion = 2

// Checkpoint is everything needed to continue a run exactly where it
// stopped: parameters, position (epoch and step), learning rate, RNG
// states, the epoch's order, the metrics so far and the early-stopping
// state. The config hash ties it to its run.
type Checkpoint struct {
	Version    int    `json:"version"`
	ConfigHash string `json:"config_hash"`
	Dtype      string `json:"dtype"`
	// Epoch is the number of finished epochs; Step the number of finished
	// updates of epoch Epoch+1 (0 at an epoch boundary).
	Epoch    int     `json:"epoch"`
	Step     int     `json:"step"`
	Eta      float64 `json:"eta"`      // learning rate of epoch Epoch+1 (or of the last epoch)
	Finished bool    `json:"finished"` // all epochs done (or stopped early)

	// W and b are the linear classifier's parameters; a network with
	// hidden layers has its tensors in Tensors instead (W and b empty).
	W       Floats   `json:"w"`
	B       Floats   `json:"b"`
	Tensors []Tensor `json:"tensors,omitempty"`
	Shuffle []byte   `json:"rng_shuffle"`
	Augment []byte   `json:"rng_augment"`
	Order   []int    `json:"order,omitempty"` // the permutation of the unfinished epoch

	Epochs       []EpochMetrics         `json:"metrics"`
	EpochSeconds []float64              `json:"epoch_seconds"`
	Untrained    map[string]engine.Eval `json:"untrained"`

	BestAcc   float64 `json:"best_val_accuracy"`
	BestEpoch int     `json:"best_epoch"`
	BestW     Floats  `json:"best_w,omitempty"`
	BestB     Floats  `json:"best_b,omitempty"`
	// BestTensors are the best epoch's tensors of a network with hidden
	// layers.
	BestTensors []Tensor `json:"best_tensors,omitempty"`

	// Checksum is set by EncodeCheckpoint and checked by DecodeCheckpoint.
	Checksum string `json:"sha256,omitempty"`
}

// Floats is a float64 slice stored as base64 of little-endian bytes: a
// JSON string, written through MarshalText so that encoding/json does not
// scan the bytes again as it does a MarshalJSON's output (a 16-member
// stack's checkpoints spent a third of their time there).
type Floats []float64

func (f Floats) MarshalText() ([]byte, error) {
	raw := make([]byte, 8*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(len(raw)))
	base64.StdEncoding.Encode(out, raw)
	return out, nil
}

func (f *Floats) UnmarshalText(text []byte) error {
	b := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(b, text)
	if err != nil {
		return err
	}
	b = b[:n]
	if len(b)%8 != 0 {
		return errors.New("float array of a length not a multiple of 8 bytes")
	}
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	*f = out
	return nil
}

// EncodeCheckpoint returns the file form of ck, checksum included.
func EncodeCheckpoint(ck *Checkpoint) ([]byte, error) {
	_, file, err := encodeCheckpoint(ck)
	return file, err
}

// encodeCheckpoint returns ck's encoding without its checksum (what the
// checksum covers) and with it (the file's bytes). The checksum is the
// struct's last field, so the file is the body with it added before the
// closing brace, as encoding/json writes it: one encoding for both.
func encodeCheckpoint(ck *Checkpoint) (body, file []byte, err error) {
	c := *ck
	c.Checksum = ""
	body, err = json.Marshal(&c)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(body)
	file = make([]byte, 0, len(body)+len(`,"sha256":""`)+2*len(sum))
	file = append(file, body[:len(body)-1]...)
	file = append(file, `,"sha256":"`...)
	file = hex.AppendEncode(file, sum[:])
	file = append(file, `"}`...)
	return body, file, nil
}

// WriteCheckpoint writes ck atomically into dir: a crash leaves the
// previous checkpoint or the new one, never a broken file.
func WriteCheckpoint(dir string, ck *Checkpoint) error {
	b, err := EncodeCheckpoint(ck)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, CheckpointFile), b)
}

// ReadCheckpoint reads the checkpoint of a run directory and checks that it
// is intact and belongs to cfg. Check then compares it with the data.
func ReadCheckpoint(dir string, cfg *config.Config) (*Checkpoint, error) {
	path := filepath.Join(dir, CheckpointFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ck, err := DecodeCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if ck.ConfigHash != cfg.Hash() {
		return nil, fmt.Errorf("%s: written for configuration %s, not %s", path, ck.ConfigHash, cfg.Hash())
	}
	if ck.Dtype != cfg.Dtype {
		return nil, fmt.Errorf("%s: dtype %s, the configuration says %s", path, ck.Dtype, cfg.Dtype)
	}
	return ck, nil
}

// DecodeCheckpoint parses a checkpoint's bytes and checks its checksum and
// its internal consistency.
func DecodeCheckpoint(b []byte) (*Checkpoint, error) {
	var ck Checkpoint
	if err := json.Unmarshal(b, &ck); err != nil {
		return nil, fmt.Errorf("not a gtrain checkpoint: %w", err)
	}
	switch {
	case ck.Version > CheckpointVersion:
		return nil, fmt.Errorf("checkpoint format version %d is newer than this gtrain's %d", ck.Version, CheckpointVersion)
	case ck.Version < 1:
		return nil, fmt.Errorf("checkpoint without a format version")
	case ck.Version < CheckpointVersion:
		return nil, fmt.Errorf("checkpoint format version %d has no checksum and cannot be verified; resume it with the gtrain that wrote it, or train again", ck.Version)
	case ck.Checksum == "":
		return nil, fmt.Errorf("checkpoint without its checksum (field sha256): refusing a file that cannot be verified")
	}
	// The checksum covers the content; the byte comparison also refuses
	// changes that decode to the same content (a key's case, escapes,
	// spacing, base64 padding bits), so that no altered byte passes.
	body, again, err := encodeCheckpoint(&ck)
	if sum := sha256.Sum256(body); err != nil || hex.EncodeToString(sum[:]) != ck.Checksum {
		return nil, fmt.Errorf("checksum mismatch: the checkpoint was changed after gtrain wrote it, or damaged")
	}
	if !bytes.Equal(again, bytes.TrimSuffix(b, []byte("\n"))) {
		return nil, fmt.Errorf("the checkpoint's bytes are not as gtrain wrote them: it was edited or damaged")
	}
	switch {
	case ck.Epoch < 0 || ck.Step < 0 || len(ck.Epochs) != ck.Epoch || len(ck.EpochSeconds) != ck.Epoch:
		return nil, fmt.Errorf("checkpoint at epoch %d, step %d holds %d epochs of metrics", ck.Epoch, ck.Step, len(ck.Epochs))
	case len(ck.Tensors) > 0 && (len(ck.W) != 0 || len(ck.B) != 0 || len(ck.BestW) != 0 || len(ck.BestB) != 0):
		return nil, fmt.Errorf("checkpoint with both a network's tensors and the linear classifier's W and b")
	case len(ck.Tensors) == 0 && (len(ck.W) == 0 || len(ck.B) == 0 || len(ck.W)%len(ck.B) != 0):
		return nil, fmt.Errorf("checkpoint parameters of %d and %d values", len(ck.W), len(ck.B))
	case len(ck.BestW) != 0 && (len(ck.BestW) != len(ck.W) || len(ck.BestB) != len(ck.B)):
		return nil, fmt.Errorf("checkpoint best parameters do not match the parameters")
	case len(ck.BestTensors) != 0 && !sameLayout(ck.BestTensors, ck.Tensors):
		return nil, fmt.Errorf("checkpoint best tensors do not match the tensors")
	case math.IsNaN(ck.Eta) || ck.Eta < 0:
		return nil, fmt.Errorf("checkpoint learning rate %v", ck.Eta)
	}
	for _, v := range ck.W {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("checkpoint parameters hold %v", v)
		}
	}
	if err := finiteTensors(ck.Tensors); err != nil {
		return nil, fmt.Errorf("checkpoint %w", err)
	}
	return &ck, nil
}
