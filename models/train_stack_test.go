package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

// stackCase is a stack whose members differ in loss, λ, η, schedule,
// epochs and early stopping; one of them diverges (η = 1e30: (1−2ηλ)W overflows in a few steps).
func stackCase() []config.Config {
	base := smallConfig()
	base.Shuffle, base.Seed, base.Epochs = true, 5, 4
	var out []config.Config
	add := func(f func(c *config.Config)) {
		c := base
		f(&c)
		out = append(out, c)
	}
	add(func(c *config.Config) {})
	add(func(c *config.Config) { c.Loss = "svm"; c.Lambda = 0.5 })
	add(func(c *config.Config) { c.Lambda = 0; c.Eta = 0.05; c.Decay = 0.9 })
	add(func(c *config.Config) { c.Epochs = 2 })
	add(func(c *config.Config) { c.Loss = "svm"; c.Schedule = "step"; c.StepEvery = 1; c.StepGamma = 0.5 })
	add(func(c *config.Config) {
		c.Schedule, c.EtaMin, c.EtaMax, c.CycleSteps = "cyclic", 1e-4, 0.05, 7
	})
	add(func(c *config.Config) { c.EarlyStop = 1; c.Epochs = 6; c.Eta = 0.3 })
	add(func(c *config.Config) { c.Eta = 1e30 })
	add(func(c *config.Config) { c.InitStd = 0.1 })
	return out
}

// TestStackTrainsAsAlone trains the members of stackCase as one stack and
// each alone, and compares everything they give: results (less timings),
// final parameters, per-epoch metrics, every checkpoint and every step's
// cost, bit for bit, in both dtypes; the diverging member fails with the
// lone run's error while its stack-mates finish.
func TestStackTrainsAsAlone(t *testing.T) {
	needBitsAcrossShapes(t)
	splits := synthetic(3, 140)
	t.Run("float64", func(t *testing.T) { checkStackAsAlone(t, Prepare[float64](splits), "float64", nil, "cpu") })
	t.Run("float32", func(t *testing.T) { checkStackAsAlone(t, Prepare[float32](splits), "float32", nil, "cpu") })
	t.Run("augment", func(t *testing.T) {
		checkStackAsAlone(t, Prepare[float64](splits), "float64", []string{"flip:0.5", "gaussian:0.01"}, "cpu")
	})
}

// trace is what a run hands its hooks.
type trace struct {
	steps       []float64
	epochs      []runfiles.EpochMetrics
	checkpoints []*runfiles.Checkpoint
}

func (tr *trace) options() Options {
	return Options{
		OnStep:       func(_, _, _ int, c float64) { tr.steps = append(tr.steps, c) },
		OnEpoch:      func(m runfiles.EpochMetrics) { tr.epochs = append(tr.epochs, m) },
		OnCheckpoint: func(ck *runfiles.Checkpoint) error { c := *ck; tr.checkpoints = append(tr.checkpoints, &c); return nil },
	}
}

func checkStackAsAlone[T graph.Float](t *testing.T, d *Prepared[T], dtype string, aug []string, device string) {
	cfgs := stackCase()
	members := make([]StackMember, len(cfgs))
	stacked := make([]*trace, len(cfgs))
	for i := range cfgs {
		cfgs[i].Dtype, cfgs[i].Augment, cfgs[i].Device = dtype, aug, device
		stacked[i] = &trace{}
		members[i] = StackMember{Config: cfgs[i], Options: stacked[i].options()}
	}
	got, err := TrainStack(context.Background(), members, d, engine.Tuning{})
	if err != nil {
		t.Fatal(err)
	}
	for i, cfg := range cfgs {
		alone := &trace{}
		want, werr := Train(context.Background(), cfg, d, alone.options())
		g := got[i]
		name := fmt.Sprintf("member %d (%s λ=%g η=%g %s)", i, cfg.Loss, cfg.Lambda, cfg.Eta, cfg.Schedule)
		if werr != nil {
			if g.Err == nil || g.Err.Error() != werr.Error() {
				t.Errorf("%s: stacked error %v, alone %v", name, g.Err, werr)
			}
			continue
		}
		if g.Err != nil {
			t.Errorf("%s: %v", name, g.Err)
			continue
		}
		sameBits(t, name, g.Trained, want, stacked[i], alone)
	}
	if got[7].Err == nil || !strings.Contains(got[7].Err.Error(), "diverged") {
		t.Errorf("the diverging member: %v", got[7].Err)
	}
	// The case covers what it says: a member that left early, one that
	// stopped early.
	if n := len(got[3].Trained.Result.Epochs); n != 2 {
		t.Errorf("the 2-epoch member trained %d epochs", n)
	}
	if r := got[6].Trained.Result; r.BestEpoch == 0 || len(r.Epochs) == 6 {
		t.Errorf("the early-stopping member: best epoch %d of %d epochs", r.BestEpoch, len(r.Epochs))
	}
}

func withoutSeconds(ms []runfiles.EpochMetrics) []runfiles.EpochMetrics {
	out := make([]runfiles.EpochMetrics, len(ms))
	for i, m := range ms {
		m.Seconds = 0
		out[i] = m
	}
	return out
}

// TestStackResume interrupts a stack mid-epoch, resumes it from the
// members' checkpoints and compares with the uninterrupted stack.
func TestStackResume(t *testing.T) {
	d := Prepare[float64](synthetic(4, 120))
	cfgs := stackCase()[:5]
	resume, traces := checkStackResume(t, d, cfgs, 8, 1, 2) // epoch 2, step 2 (6 steps an epoch)
	// Members at different points cannot be resumed as one stack.
	mixed := append([]*runfiles.Checkpoint(nil), resume...)
	mixed[1] = traces[1].checkpoints[0]
	members := []StackMember{{Config: cfgs[0], Options: Options{Resume: mixed[0]}}, {Config: cfgs[1], Options: Options{Resume: mixed[1]}}}
	if _, err := TrainStack(context.Background(), members, d, engine.Tuning{}); err == nil || !strings.Contains(err.Error(), "same point") {
		t.Errorf("members at different points: %v", err)
	}
}

// TestStackRefusesIncompatible: runs that cannot share mini-batches are
// not a stack.
func TestStackRefusesIncompatible(t *testing.T) {
	d := Prepare[float64](synthetic(4, 60))
	a := smallConfig()
	for _, f := range []func(c *config.Config){
		func(c *config.Config) { c.Batch = 10 },
		func(c *config.Config) { c.Seed = 9 },
		func(c *config.Config) { c.Shuffle = true },
		func(c *config.Config) { c.Augment = []string{"flip:0.5"} },
		func(c *config.Config) { c.Data.ValHoldout, c.Data.Val = 10, nil },
	} {
		b := a
		f(&b)
		_, err := TrainStack(context.Background(), []StackMember{{Config: a}, {Config: b}}, d, engine.Tuning{})
		if err == nil || !strings.Contains(err.Error(), "share every mini-batch") {
			t.Errorf("%+v: %v", b, err)
		}
	}
}

// checkStackResume trains the stack of cfgs uninterrupted, then again cut
// after its cut-th step (epoch+1, step: where each member's last checkpoint
// must stand), resumes that from the members' checkpoints and requires the
// uninterrupted results and parameters, bit for bit. It returns the
// checkpoints resumed from and the cut run's traces.
func checkStackResume(t *testing.T, d *Prepared[float64], cfgs []config.Config, cut, epoch, step int) ([]*runfiles.Checkpoint, []*trace) {
	t.Helper()
	run := func(ctx context.Context, resume []*runfiles.Checkpoint, onStep func()) ([]MemberResult[float64], []*trace) {
		members := make([]StackMember, len(cfgs))
		traces := make([]*trace, len(cfgs))
		for i := range cfgs {
			traces[i] = &trace{}
			opt := traces[i].options()
			if resume != nil {
				opt.Resume = resume[i]
			}
			if i == 0 && onStep != nil {
				inner := opt.OnStep
				opt.OnStep = func(e, s, n int, c float64) { inner(e, s, n, c); onStep() }
			}
			members[i] = StackMember{Config: cfgs[i], Options: opt}
		}
		res, err := TrainStack(ctx, members, d, engine.Tuning{})
		if err != nil {
			t.Fatal(err)
		}
		return res, traces
	}
	full, _ := run(context.Background(), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	part, traces := run(ctx, nil, func() {
		if steps++; steps == cut {
			cancel()
		}
	})
	var resume []*runfiles.Checkpoint
	for i, r := range part {
		if !errors.Is(r.Err, ErrInterrupted) || r.Trained == nil || !r.Trained.Result.Partial {
			t.Fatalf("member %d: interrupted run gave %v", i, r.Err)
		}
		cks := traces[i].checkpoints
		if ck := cks[len(cks)-1]; ck.Epoch != epoch || ck.Step != step {
			t.Fatalf("member %d: interrupted at epoch %d step %d, want %d step %d", i, ck.Epoch+1, ck.Step, epoch+1, step)
		}
		resume = append(resume, cks[len(cks)-1])
	}
	again, _ := run(context.Background(), resume, nil)
	for i := range full {
		a, b := withoutTimes(again[i].Trained.Result), withoutTimes(full[i].Trained.Result)
		if again[i].Err != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("member %d: resumed %v\n%+v\nuninterrupted\n%+v", i, again[i].Err, a, b)
		}
		if !reflect.DeepEqual(again[i].Trained.Params, full[i].Trained.Params) {
			t.Errorf("member %d: resumed parameters differ from the uninterrupted ones", i)
		}
	}
	return resume, traces
}

func withoutTimes(r *runfiles.Result) runfiles.Result {
	a := *r
	a.TotalSeconds, a.EpochSeconds, a.Epochs = 0, nil, withoutSeconds(a.Epochs)
	return a
}

// sameBits fails unless a stacked run gave its lone run's bits.
func sameBits[T graph.Float](t *testing.T, name string, got, want *Trained[T], gt, wt *trace) {
	t.Helper()
	a, b := withoutTimes(got.Result), withoutTimes(want.Result)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s: result\n%+v\nalone\n%+v", name, a, b)
	}
	if !reflect.DeepEqual(got.Params, want.Params) {
		t.Errorf("%s: final parameters differ from the lone run's", name)
	}
	if !reflect.DeepEqual(gt.steps, wt.steps) {
		t.Errorf("%s: step costs differ from the lone run's", name)
	}
	if !reflect.DeepEqual(withoutSeconds(gt.epochs), withoutSeconds(wt.epochs)) {
		t.Errorf("%s: epoch metrics differ", name)
	}
	if len(gt.checkpoints) != len(wt.checkpoints) {
		t.Fatalf("%s: %d checkpoints, alone %d", name, len(gt.checkpoints), len(wt.checkpoints))
	}
	for j, ck := range gt.checkpoints {
		x, y := *ck, *wt.checkpoints[j]
		x.EpochSeconds, y.EpochSeconds = nil, nil
		x.Epochs, y.Epochs = withoutSeconds(x.Epochs), withoutSeconds(y.Epochs)
		if !reflect.DeepEqual(x, y) {
			t.Errorf("%s: checkpoint %d differs from the lone run's", name, j)
		}
	}
}
