package models

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// interruptedCheckpoint trains cfg on d, stops it after the given step of
// the given epoch and returns the checkpoint it wrote last, through the
// file format.
func interruptedCheckpoint(tb testing.TB, cfg config.Config, d *Prepared[float64], epoch, step int) *runfiles.Checkpoint {
	tb.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var last *runfiles.Checkpoint
	dir := tb.TempDir()
	_, err := Train(ctx, cfg, d, Options{
		OnStep: func(e, s, _ int, _ float64) {
			if e == epoch && s == step {
				cancel(errors.New("test interrupt"))
			}
		},
		OnCheckpoint: func(ck *runfiles.Checkpoint) error {
			if err := runfiles.WriteCheckpoint(dir, ck); err != nil {
				return err
			}
			var err error
			last, err = runfiles.ReadCheckpoint(dir, &cfg)
			return err
		},
	})
	if !errors.Is(err, ErrInterrupted) || last == nil {
		tb.Fatalf("interrupted run: %v, checkpoint %v", err, last != nil)
	}
	return last
}

func checkConfig() config.Config {
	cfg := smallConfig()
	cfg.Epochs, cfg.Batch, cfg.Shuffle, cfg.Augment, cfg.Decay = 4, 10, true, []string{"flip:0.5"}, 0.9
	return cfg
}

// TestCheckRefusesCorrupt: checkpoints whose fields were changed (and
// whose checksum was then recomputed, as a careful editor would) are
// refused by Check and by Train, never resumed into a different run and
// never a panic. The unchanged checkpoint is accepted.
func TestCheckRefusesCorrupt(t *testing.T) {
	cfg := checkConfig()
	d := Prepare[float64](synthetic(31, 50))
	good := interruptedCheckpoint(t, cfg, d, 2, 2) // epoch 1 done, 2 steps of epoch 2
	if good.Epoch != 1 || good.Step != 2 || good.Order == nil {
		t.Fatalf("checkpoint at epoch %d step %d", good.Epoch, good.Step)
	}
	other, _ := rand.NewPCG(cfg.Seed+1, config.StreamShuffle).MarshalBinary()
	later := rand.NewPCG(cfg.Seed, config.StreamShuffle)
	rand.New(later).Shuffle(50, func(int, int) {})
	laterState, _ := later.MarshalBinary()
	for _, c := range []struct {
		name string
		edit func(ck *runfiles.Checkpoint)
	}{
		{"order[0] huge", func(ck *runfiles.Checkpoint) { ck.Order[0] = 10000000 }},
		{"order[0] -1", func(ck *runfiles.Checkpoint) { ck.Order[0] = -1 }},
		{"order duplicate", func(ck *runfiles.Checkpoint) { ck.Order[1] = ck.Order[0] }},
		{"order swapped", func(ck *runfiles.Checkpoint) { ck.Order[0], ck.Order[1] = ck.Order[1], ck.Order[0] }},
		{"order short", func(ck *runfiles.Checkpoint) { ck.Order = ck.Order[:49] }},
		{"order deleted", func(ck *runfiles.Checkpoint) { ck.Order = nil }},
		{"order deleted at step 0", func(ck *runfiles.Checkpoint) { ck.Order, ck.Step = nil, 0 }},
		{"step past the epoch", func(ck *runfiles.Checkpoint) { ck.Step = 5 }},
		{"step negative", func(ck *runfiles.Checkpoint) { ck.Step = -1 }},
		{"epoch past the run", func(ck *runfiles.Checkpoint) {
			ck.Epoch = 9
			for len(ck.Epochs) < 9 {
				ck.Epochs, ck.EpochSeconds = append(ck.Epochs, ck.Epochs[0]), append(ck.EpochSeconds, ck.EpochSeconds[0])
			}
		}},
		{"eta 0", func(ck *runfiles.Checkpoint) { ck.Eta = 0 }},
		{"eta of another epoch", func(ck *runfiles.Checkpoint) { ck.Eta = cfg.Eta }},
		{"metrics eta", func(ck *runfiles.Checkpoint) { ck.Epochs[0].Eta *= 2 }},
		{"metrics epoch number", func(ck *runfiles.Checkpoint) { ck.Epochs[0].Epoch = 2 }},
		{"metrics NaN", func(ck *runfiles.Checkpoint) { ck.Epochs[0].ValLoss = math.NaN() }},
		{"metrics accuracy 2", func(ck *runfiles.Checkpoint) { ck.Epochs[0].TrainAcc = 2 }},
		{"metrics seconds differ", func(ck *runfiles.Checkpoint) { ck.EpochSeconds[0]++ }},
		{"untrained deleted", func(ck *runfiles.Checkpoint) { ck.Untrained = nil }},
		{"untrained split missing", func(ck *runfiles.Checkpoint) { delete(ck.Untrained, "test") }},
		{"untrained size", func(ck *runfiles.Checkpoint) { e := ck.Untrained["val"]; e.N = 7; ck.Untrained["val"] = e }},
		{"shuffle RNG of another seed", func(ck *runfiles.Checkpoint) { ck.Shuffle = other }},
		{"shuffle RNG of another epoch", func(ck *runfiles.Checkpoint) { ck.Shuffle = laterState }},
		{"shuffle RNG garbage", func(ck *runfiles.Checkpoint) { ck.Shuffle = []byte("xyz") }},
		{"augment RNG of another seed", func(ck *runfiles.Checkpoint) { ck.Augment = other }},
		{"augment RNG garbage", func(ck *runfiles.Checkpoint) { ck.Augment = nil }},
		{"W short", func(ck *runfiles.Checkpoint) { ck.W = ck.W[:len(ck.W)-10]; ck.B = ck.B[:9] }},
		{"W Inf", func(ck *runfiles.Checkpoint) { ck.W[3] = math.Inf(1) }},
		{"finished early", func(ck *runfiles.Checkpoint) { ck.Finished, ck.Order, ck.Step = true, nil, 0 }},
		{"best epoch without early stopping", func(ck *runfiles.Checkpoint) { ck.BestEpoch = 1 }},
		{"config hash", func(ck *runfiles.Checkpoint) { ck.ConfigHash = "0123456789ab" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ck := cloneCheckpoint(t, good)
			c.edit(ck)
			if err := ck.Check(&cfg, shapeOfPrepared(d)); err == nil {
				t.Fatal("Check accepted the changed checkpoint")
			}
			if _, err := Train(context.Background(), cfg, d, Options{Resume: ck}); err == nil || !strings.Contains(err.Error(), "checkpoint refused") {
				t.Fatalf("Train resumed the changed checkpoint: %v", err)
			}
		})
	}
	if err := cloneCheckpoint(t, good).Check(&cfg, shapeOfPrepared(d)); err != nil {
		t.Fatalf("the checkpoint as written refused: %v", err)
	}
}

// cloneCheckpoint is a deep copy through the file format.
func cloneCheckpoint(tb testing.TB, ck *runfiles.Checkpoint) *runfiles.Checkpoint {
	b, err := runfiles.EncodeCheckpoint(ck)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := runfiles.DecodeCheckpoint(b)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestCheckAcceptsRuns: every checkpoint that runs of the schedules and
// early stopping write is accepted (no good run is refused).
func TestCheckAcceptsRuns(t *testing.T) {
	d := Prepare[float64](synthetic(32, 40))
	for _, c := range []struct {
		name string
		edit func(*config.Config)
	}{
		{"exp", func(*config.Config) {}},
		{"step", func(c *config.Config) { c.Decay, c.Schedule, c.StepEvery, c.StepGamma = 1, "step", 2, 0.5 }},
		{"cyclic", func(c *config.Config) {
			c.Decay, c.Schedule, c.EtaMin, c.EtaMax, c.CycleSteps = 1, "cyclic", 0.001, 0.05, 3
		}},
		{"early stop", func(c *config.Config) { c.Eta, c.EarlyStop, c.Epochs = 0.5, 2, 8 }},
		{"augment", func(c *config.Config) { c.Augment = []string{"translate:2", "gaussian:0.01", "sp:0.01"} }},
		{"no shuffle", func(c *config.Config) { c.Shuffle, c.Augment = false, nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := checkConfig()
			c.edit(&cfg)
			n := 0
			_, err := Train(context.Background(), cfg, d, Options{OnCheckpoint: func(ck *runfiles.Checkpoint) error {
				n++
				return cloneCheckpoint(t, ck).Check(&cfg, shapeOfPrepared(d))
			}})
			if err != nil || n == 0 {
				t.Fatalf("%d checkpoints, err = %v", n, err)
			}
			for _, stop := range [][2]int{{1, 1}, {2, 4}, {3, 2}} {
				if ck := interruptedCheckpoint(t, cfg, d, stop[0], stop[1]); ck.Check(&cfg, shapeOfPrepared(d)) != nil {
					t.Errorf("stopped at %v: %v", stop, ck.Check(&cfg, shapeOfPrepared(d)))
				}
			}
		})
	}
}

// TestCheckpointChecksum: any changed byte of a checkpoint file is refused
// with an error naming the file, including a file whose checksum was
// removed and one relabelled as format version 1.
func TestCheckpointChecksum(t *testing.T) {
	cfg := checkConfig()
	d := Prepare[float64](synthetic(33, 50))
	dir := t.TempDir()
	if err := runfiles.WriteCheckpoint(dir, interruptedCheckpoint(t, cfg, d, 2, 2)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, runfiles.CheckpointFile)
	good, _ := os.ReadFile(path)
	wAt := bytes.Index(good, []byte(`"w":"`)) + 40
	for _, c := range []struct {
		name, want string
		edit       func([]byte) []byte
	}{
		{"one base64 character of w", "checksum", func(b []byte) []byte { b[wAt] ^= 1; return b }},
		{"a key's case", "not as gtrain wrote", func(b []byte) []byte { return bytes.Replace(b, []byte(`"eta"`), []byte(`"Eta"`), 1) }},
		{"checksum removed", "without its checksum", func(b []byte) []byte {
			i := bytes.Index(b, []byte(`,"sha256"`))
			return append(b[:i:i], '}')
		}},
		{"version 1", "no checksum", func(b []byte) []byte { return bytes.Replace(b, []byte(`"version":2`), []byte(`"version":1`), 1) }},
		{"a step digit", "checksum", func(b []byte) []byte { return bytes.Replace(b, []byte(`"step":2`), []byte(`"step":3`), 1) }},
		{"truncated", "not a gtrain checkpoint", func(b []byte) []byte { return b[:len(b)/2] }},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(path, c.edit(bytes.Clone(good)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := runfiles.ReadCheckpoint(dir, &cfg)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one naming %s and saying %q", err, path, c.want)
			}
		})
	}
	os.WriteFile(path, good, 0o644)
	if _, err := runfiles.ReadCheckpoint(dir, &cfg); err != nil {
		t.Fatalf("the file as written: %v", err)
	}
}
