package models

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// TestResumeBitIdentical interrupts runs mid-epoch and at an epoch
// boundary, resumes them from their last checkpoint and requires the same
// parameters and metrics as an uninterrupted run, bit for bit.
func TestResumeBitIdentical(t *testing.T) {
	for _, c := range []struct {
		name    string
		shuffle bool
		augment []string
		dtype   string
		stopAt  [2]int // epoch, step after which to interrupt
	}{
		{"plain/mid-epoch", false, nil, "float64", [2]int{2, 3}},
		{"shuffle/mid-epoch", true, nil, "float64", [2]int{2, 2}},
		{"shuffle/boundary", true, nil, "float64", [2]int{1, 5}},
		{"augment/mid-epoch", true, []string{"flip:0.5", "gaussian:0.01"}, "float64", [2]int{3, 1}},
		{"augment/float32", true, []string{"translate:2", "sp:0.01"}, "float32", [2]int{2, 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Epochs, cfg.Batch, cfg.Shuffle, cfg.Augment, cfg.Dtype = 4, 10, c.shuffle, c.augment, c.dtype
			if c.dtype == "float32" {
				checkResume[float32](t, cfg, c.stopAt)
			} else {
				checkResume[float64](t, cfg, c.stopAt)
			}
		})
	}
}

func checkResume[T graph.Float](t *testing.T, cfg config.Config, stopAt [2]int) {
	d := Prepare[T](synthetic(21, 50))
	whole, err := Train(context.Background(), cfg, d, Options{})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	var last *runfiles.Checkpoint
	opt := Options{
		OnStep: func(epoch, step, steps int, cost float64) {
			if epoch == stopAt[0] && step == stopAt[1] {
				cancel(errors.New("test interrupt"))
			}
		},
		OnCheckpoint: func(ck *runfiles.Checkpoint) error {
			// Through the file format, as a resume after a crash reads it.
			dir := t.TempDir()
			if err := runfiles.WriteCheckpoint(dir, ck); err != nil {
				return err
			}
			back, err := runfiles.ReadCheckpoint(dir, &cfg)
			last = back
			return err
		},
	}
	part, err := Train(ctx, cfg, d, opt)
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "test interrupt") {
		t.Fatalf("err = %v, want ErrInterrupted with the cause", err)
	}
	if part == nil || !part.Result.Partial {
		t.Fatalf("partial result %+v", part)
	}
	wantStep := stopAt[1]
	if wantStep == 50/cfg.Batch { // the interrupt came after the epoch's last step
		if last.Epoch != stopAt[0] || last.Step != 0 {
			t.Fatalf("checkpoint at epoch %d step %d, want %d 0", last.Epoch, last.Step, stopAt[0])
		}
	} else if last.Epoch != stopAt[0]-1 || last.Step != wantStep {
		t.Fatalf("checkpoint at epoch %d step %d, want %d %d", last.Epoch, last.Step, stopAt[0]-1, wantStep)
	}

	resumed, err := Train(context.Background(), cfg, d, Options{Resume: last})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(resumed.Params, whole.Params) {
		t.Error("resumed parameters differ from the uninterrupted run's")
	}
	if !reflect.DeepEqual(stripSeconds(resumed.Result.Epochs), stripSeconds(whole.Result.Epochs)) {
		t.Errorf("resumed metrics differ:\n%+v\n%+v", resumed.Result.Epochs, whole.Result.Epochs)
	}
	if !reflect.DeepEqual(resumed.Result.Splits, whole.Result.Splits) {
		t.Errorf("resumed result differs:\n%+v\n%+v", resumed.Result.Splits, whole.Result.Splits)
	}
}

func stripSeconds(e []runfiles.EpochMetrics) []runfiles.EpochMetrics {
	out := append([]runfiles.EpochMetrics(nil), e...)
	for i := range out {
		out[i].Seconds = 0
	}
	return out
}

func TestCheckpointRefused(t *testing.T) {
	cfg := smallConfig()
	dir := t.TempDir()
	ck := &runfiles.Checkpoint{Version: runfiles.CheckpointVersion, ConfigHash: cfg.Hash(), Dtype: cfg.Dtype, W: runfiles.Floats{1, 2}, B: runfiles.Floats{0}, Eta: 0.1,
		Epochs: []runfiles.EpochMetrics{{Epoch: 1}}, EpochSeconds: []float64{1}, Epoch: 1}
	if err := runfiles.WriteCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	if _, err := runfiles.ReadCheckpoint(dir, &cfg); err != nil {
		t.Fatalf("own checkpoint refused: %v", err)
	}
	other := cfg
	other.Lambda = 0.7
	if _, err := runfiles.ReadCheckpoint(dir, &other); err == nil || !strings.Contains(err.Error(), "configuration") {
		t.Errorf("another config: err = %v", err)
	}
	ck.Version = runfiles.CheckpointVersion + 1
	runfiles.WriteCheckpoint(dir, ck)
	if _, err := runfiles.ReadCheckpoint(dir, &cfg); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("newer version: err = %v", err)
	}
	for _, bad := range []string{``, `{}`, `{"version":1}`, `{"version":1,"w":"AAAA","b":"AAAAAAAAAAA="}`, `[1,2]`, `{"version":1,"epoch":-1}`} {
		if _, err := runfiles.DecodeCheckpoint([]byte(bad)); err == nil {
			t.Errorf("runfiles.DecodeCheckpoint(%q) accepted", bad)
		}
	}
	if _, err := runfiles.ReadCheckpoint(filepath.Join(dir, "none"), &cfg); err == nil {
		t.Error("missing checkpoint accepted")
	}
}

// TestCheckpointWriteFailure: a failing writer (a full disk) stops the run
// with an error naming the checkpoint.
func TestCheckpointWriteFailure(t *testing.T) {
	d := Prepare[float64](synthetic(22, 40))
	calls := 0
	_, err := Train(context.Background(), smallConfig(), d, Options{OnCheckpoint: func(*runfiles.Checkpoint) error {
		calls++
		if calls == 2 {
			return errors.New("no space left on device")
		}
		return nil
	}})
	if err == nil || !strings.Contains(err.Error(), "checkpoint after epoch 2") || !strings.Contains(err.Error(), "no space") {
		t.Fatalf("err = %v", err)
	}
}

func TestSchedules(t *testing.T) {
	d := Prepare[float64](synthetic(23, 40))
	cfg := smallConfig()
	cfg.Epochs, cfg.Batch = 6, 20 // 2 updates per epoch
	cfg.Schedule, cfg.StepEvery, cfg.StepGamma, cfg.Eta = "step", 2, 0.5, 0.04
	r := mustTrain(t, cfg, d).Result
	for i, want := range []float64{0.04, 0.04, 0.02, 0.02, 0.01, 0.01} {
		if r.Epochs[i].Eta != want {
			t.Errorf("step: epoch %d eta %v, want %v", i+1, r.Epochs[i].Eta, want)
		}
	}
	cfg = smallConfig()
	cfg.Epochs, cfg.Batch = 4, 20
	cfg.Schedule, cfg.EtaMin, cfg.EtaMax, cfg.CycleSteps = "cyclic", 0.001, 0.011, 2
	r = mustTrain(t, cfg, d).Result
	// Updates 0,2,4,6 start the epochs: eta_min, eta_max, eta_min, eta_max.
	for i, want := range []float64{0.001, 0.011, 0.001, 0.011} {
		if math.Abs(r.Epochs[i].Eta-want) > 1e-15 {
			t.Errorf("cyclic: epoch %d eta %v, want %v", i+1, r.Epochs[i].Eta, want)
		}
	}
	if got := cfg.CyclicEta(1); math.Abs(got-0.006) > 1e-15 {
		t.Errorf("CyclicEta(1) = %v, want 0.006", got)
	}
	if got := cfg.CyclicEta(3); math.Abs(got-0.006) > 1e-15 {
		t.Errorf("CyclicEta(3) = %v, want 0.006", got)
	}
}

// TestEarlyStopping: the kept weights are those of the best validation
// epoch, and training stops patience epochs after it. The validation split
// is the training split with every label moved to the next class, so the
// better the model learns the training split the worse it does there:
// epoch 1 is the best by construction, and training must stop after epoch
// 1 + patience with the weights of a one-epoch run.
func TestEarlyStopping(t *testing.T) {
	s := synthetic(24, 60)
	val := *s.Train
	val.Name, val.Labels = "val", make([]uint8, s.Train.Len())
	for i, y := range s.Train.Labels {
		val.Labels[i] = (y + 1) % 10
	}
	s.Val = &val
	d := Prepare[float64](s)
	cfg := smallConfig()
	cfg.Epochs, cfg.EarlyStop, cfg.Eta = 12, 2, 0.003 // val accuracy 5, 2, 1, 0, … of 60
	tr := mustTrain(t, cfg, d)
	r := tr.Result
	for i, m := range r.Epochs[1:] {
		if m.ValAcc >= r.Epochs[0].ValAcc {
			t.Fatalf("epoch %d: val accuracy %v, epoch 1's %v: the fixture must make epoch 1 the best", i+2, m.ValAcc, r.Epochs[0].ValAcc)
		}
	}
	if r.BestEpoch != 1 {
		t.Errorf("best epoch %d, want 1 (%+v)", r.BestEpoch, r.Epochs)
	}
	if n := len(r.Epochs); n != 1+cfg.EarlyStop {
		t.Errorf("stopped after %d epochs, want %d (best epoch 1, patience %d)", n, 1+cfg.EarlyStop, cfg.EarlyStop)
	}
	if got := r.Splits["val"].AccuracyTrained; got != r.Epochs[0].ValAcc {
		t.Errorf("final val accuracy %v, best epoch's %v: best weights not restored", got, r.Epochs[0].ValAcc)
	}
	one := cfg
	one.Epochs, one.EarlyStop = 1, 0
	if want := mustTrain(t, one, d).Params; !reflect.DeepEqual(tr.Params, want) {
		t.Error("the returned parameters are not those of epoch 1")
	}
}

// TestDivergenceNamesCheckpoint: the divergence error names the last
// checkpoint written, and says so when there is none (a run that diverges
// in its first epoch, or one run without checkpoints).
func TestDivergenceNamesCheckpoint(t *testing.T) {
	d := Prepare[float32](synthetic(25, 40))
	first := smallConfig()
	first.Dtype, first.Eta, first.Lambda = "float32", 1e38, 1e30
	// Cyclic with one update per epoch: epoch 1 runs at eta_min, epoch 2
	// at a rate that overflows float32.
	second := smallConfig()
	second.Dtype, second.Lambda, second.Batch = "float32", 0, 40
	second.Schedule, second.EtaMin, second.EtaMax, second.CycleSteps = "cyclic", 0.001, 1e38, 2
	write := func(*runfiles.Checkpoint) error { return nil }
	for _, c := range []struct {
		name  string
		cfg   config.Config
		hook  func(*runfiles.Checkpoint) error
		want  string
		avoid string
	}{
		{"epoch 1, checkpoints on", first, write, "no checkpoint was written (the run diverged in its first epoch)", "epoch 0"},
		{"epoch 1, no checkpoints", first, nil, "no checkpoint was written (the run diverged in its first epoch)", "epoch 0"},
		{"epoch 2, checkpoints on", second, write, "the last good checkpoint is that of epoch 1", "no checkpoint"},
		{"epoch 2, no checkpoints", second, nil, "no checkpoint was written;", "last good"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Train(context.Background(), c.cfg, d, Options{OnCheckpoint: c.hook})
			if err == nil || !strings.Contains(err.Error(), "diverged") || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), c.avoid) {
				t.Fatalf("err = %v, want %q and not %q", err, c.want, c.avoid)
			}
		})
	}
}
