package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

// ErrInterrupted is returned (wrapped, with the context's cause) when the
// context ends a run; the Trained value returned with it is partial.
var ErrInterrupted = errors.New("interrupted")

// Options are the trainer's hooks; the zero value is fine.
type Options struct {
	// OnEpoch is called after each epoch with its metrics.
	OnEpoch func(runfiles.EpochMetrics)
	// OnStep is called after each gradient step (1-based) with the
	// mini-batch cost, for progress displays.
	OnStep func(epoch, step, steps int, cost float64)
	// OnCheckpoint is called at the end of every epoch and when the run is
	// interrupted, with the state to continue from. An error stops the
	// run (a full disk must not go unnoticed).
	OnCheckpoint func(*runfiles.Checkpoint) error
	// Resume continues from a checkpoint of the same configuration.
	Resume *runfiles.Checkpoint
	// Tuning turns the engine's fast paths off (gtrain bench's flags); it
	// is not part of the configuration: the results are the same.
	Tuning engine.Tuning
}

// Trained is what Train returns: the result and the final parameters.
type Trained[T graph.Float] struct {
	Result *runfiles.Result
	Params *graph.MLPParams[T]
}

// Train runs mini-batch gradient descent as the course does: W and b drawn
// from N(0, InitStd²); per epoch, the training split in consecutive batches
// of cfg.Batch (reshuffled first when cfg.Shuffle; a last partial batch is
// dropped), each batch augmented when cfg.Augment says so, the learning
// rate following cfg.Schedule. It evaluates all splits before and after
// training and train and val after each epoch. The same Config and data
// give bit-identical results on the CPU, also across an interruption and
// a resume.
//
// When ctx ends, Train finishes the current step, reports a checkpoint and
// returns the partial result with an error wrapping ErrInterrupted.
func Train[T graph.Float](ctx context.Context, cfg config.Config, d *Prepared[T], opt Options) (*Trained[T], error) {
	t, err := newTrainer(cfg, d, opt)
	if err != nil {
		return nil, err
	}
	defer t.eng.Close()
	return t.run(ctx)
}

type trainer[T graph.Float] struct {
	runState
	d       *Prepared[T]
	p       *graph.MLPParams[T]
	eng     engine.NetEngine[T]
	batches *batcher[T]
	k, n    int // classes, training samples
	dim     int

	shuffleSrc, augSrc *rand.PCG
	shuffle, augRNG    *rand.Rand

	start time.Time
}

func newTrainer[T graph.Float](cfg config.Config, d *Prepared[T], opt Options) (*trainer[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	aug, err := checkTrainable(&cfg, d)
	if err != nil {
		return nil, err
	}
	n := d.Train.Len()
	rs, err := newRunState(cfg, opt, n)
	if err != nil {
		return nil, err
	}
	t := &trainer[T]{runState: rs, d: d, batches: newBatcher(&cfg, d, aug), n: n, k: len(d.Train.Y) / n, dim: len(d.Train.X) / n, start: time.Now()}
	t.shuffleSrc, t.augSrc = rand.NewPCG(cfg.Seed, config.StreamShuffle), rand.NewPCG(cfg.Seed, config.StreamAugment)
	t.shuffle, t.augRNG = rand.New(t.shuffleSrc), rand.New(t.augSrc)

	if t.p, err = initialParams[T](&cfg, t.k, t.dim); err != nil {
		return nil, err
	}
	if r := opt.Resume; r != nil {
		if err := t.restore(r); err != nil {
			return nil, err
		}
	} else {
		t.ck = freshCheckpoint(&cfg)
	}
	t.eng, err = engine.NewNet(t.p, engine.Spec{Device: cfg.Device, Loss: graph.Loss(cfg.Loss), Lambda: cfg.L2Weight(), Batch: cfg.Batch, Tuning: opt.Tuning}, t.splits())
	if err != nil {
		return nil, err
	}
	return t, nil
}

// restore sets the trainer's state from a checkpoint.
func (t *trainer[T]) restore(r *runfiles.Checkpoint) error {
	if err := restoreRun(&t.runState, r, t.d, t.p); err != nil {
		return err
	}
	t.batches.resumeAt(r)
	return restoreRNGs(r, t.shuffleSrc, t.augSrc)
}

func (t *trainer[T]) run(ctx context.Context) (*Trained[T], error) {
	cfg := &t.cfg
	if t.ck.Untrained == nil {
		t.ck.Untrained = map[string]engine.Eval{}
		for i, s := range t.splits() {
			ev, err := t.eng.Evaluate(s.Name)
			if err != nil {
				return nil, err
			}
			t.ck.Untrained[runfiles.SplitNames[i]] = ev
		}
	}
	steps := t.n / cfg.Batch
	order := make([]int, t.n)
	for !t.ck.Finished && t.ck.Epoch < t.epochs {
		epoch := t.ck.Epoch + 1
		t0 := time.Now()
		if t.ck.Order == nil {
			t.batches.reorder(order, t.shuffle)
			t.batches.startEpoch(epoch)
			if cfg.Schedule == "cyclic" {
				t.ck.Eta = cfg.CyclicEta((epoch - 1) * steps) // the rate at the epoch's first update
			}
		} else {
			copy(order, t.ck.Order)
		}
		if fast, ok := t.eng.(engine.EpochTrainer[T]); ok && !t.batches.augmented() && t.ck.Step == 0 {
			// The engine runs the whole epoch without synchronizing with
			// the host (a GPU); interrupts are then honoured per epoch.
			if err := t.fastEpoch(fast, epoch, steps, order); err != nil {
				return nil, err
			}
			t.ck.Step = steps
		}
		for step := t.ck.Step; step < steps; step++ {
			if ctx.Err() != nil {
				t.ck.Step, t.ck.Order = step, append([]int(nil), order...)
				return t.interrupted(ctx, epoch)
			}
			b := t.batches.make(order, step, t.augRNG)
			eta := cfg.StepEta((epoch-1)*steps+step, t.ck.Eta)
			c, err := t.eng.Step(b, eta)
			if err != nil {
				return nil, err
			}
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return nil, t.diverged(c, epoch, step+1, eta)
			}
			if t.opt.OnStep != nil {
				t.opt.OnStep(epoch, step+1, steps, c)
			}
		}
		secs := time.Since(t0).Seconds()
		m, err := t.endEpoch(epoch, secs)
		if err != nil {
			return nil, err
		}
		if t.opt.OnEpoch != nil {
			t.opt.OnEpoch(m)
		}
		if err := t.checkpoint(); err != nil {
			return nil, err
		}
	}
	return t.finish(false)
}

func (t *trainer[T]) fastEpoch(eng engine.EpochTrainer[T], epoch, steps int, order []int) error {
	etas := make([]float64, steps)
	for s := range etas {
		etas[s] = t.cfg.StepEta((epoch-1)*steps+s, t.ck.Eta)
	}
	var ord []int
	if t.cfg.Shuffle {
		ord = order
	}
	costs, err := eng.TrainEpoch(t.d.Train.Name, ord, etas)
	if err != nil {
		return err
	}
	for s, c := range costs {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return t.diverged(c, epoch, s+1, etas[s])
		}
		if t.opt.OnStep != nil {
			t.opt.OnStep(epoch, s+1, steps, c)
		}
	}
	return nil
}

// endEpoch evaluates the epoch, updates the early-stopping state and moves
// the state to the next epoch.
func (t *trainer[T]) endEpoch(epoch int, secs float64) (runfiles.EpochMetrics, error) {
	tr, err := t.eng.Evaluate(t.d.Train.Name)
	if err != nil {
		return runfiles.EpochMetrics{}, err
	}
	va, err := t.eng.Evaluate(t.d.Val.Name)
	if err != nil {
		return runfiles.EpochMetrics{}, err
	}
	return t.advance(epoch, secs, tr, va, func() (paramState, error) {
		p, err := t.eng.Params()
		if err != nil {
			return paramState{}, err
		}
		return stateOf(p), nil
	})
}

// checkpoint fills in the parameters and RNG states and hands the state to
// the OnCheckpoint hook.
func (t *trainer[T]) checkpoint() error {
	if t.opt.OnCheckpoint == nil {
		return nil
	}
	p, err := t.eng.Params()
	if err != nil {
		return err
	}
	return t.save(stateOf(p), t.shuffleSrc, t.augSrc)
}

func (t *trainer[T]) interrupted(ctx context.Context, epoch int) (*Trained[T], error) {
	cause := fmt.Errorf("%w at epoch %d, step %d: %w", ErrInterrupted, epoch, t.ck.Step+1, context.Cause(ctx))
	if err := t.checkpoint(); err != nil {
		return nil, errors.Join(cause, err)
	}
	tr, err := t.finish(true)
	if err != nil {
		return nil, errors.Join(cause, err)
	}
	return tr, cause
}

// finish evaluates the final parameters (the best epoch's, with early
// stopping) on every split and assembles the result.
func (t *trainer[T]) finish(partial bool) (*Trained[T], error) {
	p, err := t.eng.Params()
	if err != nil {
		return nil, err
	}
	final := finalParams(&t.runState, p, partial)
	var after [3]engine.Eval
	var sizes [3]int
	for i, s := range t.splits() {
		if after[i], err = t.eng.Evaluate(s.Name); err != nil {
			return nil, err
		}
		sizes[i] = s.Len()
	}
	return &Trained[T]{Result: t.result(partial, after, sizes, t.start), Params: final}, nil
}

func (t *trainer[T]) splits() []*engine.Split[T] {
	return []*engine.Split[T]{t.d.Train, t.d.Val, t.d.Test}
}
