package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

// StackMember is one run of a stack: its configuration and its hooks
// (Options.Tuning is not read: the stack's is TrainStack's).
type StackMember struct {
	Config  config.Config
	Options Options
}

// MemberResult is what training gave one member: as Train's return
// values for a lone run.
type MemberResult[T graph.Float] struct {
	Trained *Trained[T]
	Err     error
}

// Stackable reports whether a run of c can be a member of a stack on its
// device: the linear classifier (graph.Stack) wherever the device's engine
// trains stacks at all (engine.Stacks), a network with hidden layers
// (graph.MLPStack) where it also stacks networks (engine.StacksNetworks:
// the CPU's; the CUDA engine does not yet, so there networks train
// alone). A stack's members share one architecture, hidden widths and
// batch normalization, which StackKey holds.
func Stackable(c *config.Config) bool {
	return len(c.Hidden) == 0 || engine.StacksNetworks(c.Device)
}

// StackKey returns what runs must share to be trained as one stack: the
// data and their split, the dtype, the device, the mini-batches (batch
// size, shuffling and the seed, which also draws the initialization) and
// the augmentation; and the architecture (the hidden widths and batch
// normalization, absent for the linear classifier, whose keys are as they
// were before networks stacked). Runs with equal keys see the same rows
// at every step and are one graph's members.
func StackKey(c *config.Config) string {
	b, _ := json.Marshal(struct {
		Data      config.DataConfig
		Dtype     string
		Device    string
		Batch     int
		Shuffle   bool
		Seed      uint64
		Augment   []string
		InPlace   bool  `json:",omitempty"`
		Hidden    []int `json:",omitempty"`
		BatchNorm bool  `json:",omitempty"`
	}{c.Data, c.Dtype, c.Device, c.Batch, c.Shuffle, c.Seed, c.Augment, c.AugmentInPlace, c.Hidden, c.BatchNorm})
	return string(b)
}

// TrainStack trains the members as one graph (graph.Stack for linear
// classifiers, graph.MLPStack for networks) on the engine of their device: every step runs all members on the same mini-batch,
// each with its own loss, λ, rate schedule, number of epochs and early
// stopping. Each member's result, checkpoints (its Options.OnCheckpoint)
// and progress hooks are those of Train for the member's configuration:
// on the CPU the same bits (TestStackTrainsAsAlone, and for networks whose
// first hidden layer's width is a multiple of 10 TestNetStackTrainsAsAlone). A member that
// diverges or whose checkpoint cannot be written fails alone, with Train's
// error; a finished member is frozen and leaves the stack at the next
// epoch (the engine is rebuilt for those left). Members resumed from
// checkpoints must all stand at the same point (rundir groups them so).
//
// The error is for the whole stack (members that cannot share mini-batches,
// an engine that cannot be built); the members' own are in their results.
// When ctx ends, every member still training gets a checkpoint and its
// partial result with an error wrapping ErrInterrupted.
func TrainStack[T graph.Float](ctx context.Context, members []StackMember, d *Prepared[T], tuning engine.Tuning) ([]MemberResult[T], error) {
	t, err := newStackTrainer(members, d, tuning)
	if err != nil {
		return nil, err
	}
	defer func() {
		if t.eng != nil {
			t.eng.Close()
		}
	}()
	return t.results, t.run(ctx)
}

type stackTrainer[T graph.Float] struct {
	d       *Prepared[T]
	tuning  engine.Tuning
	ms      []*stackRun[T]
	results []MemberResult[T]
	batches *batcher[T]
	k, n    int
	dim     int
	lead    *config.Config // the shared settings (member 0's)

	shuffleSrc, augSrc *rand.PCG
	shuffle, augRNG    *rand.Rand

	eng   engine.NetStackEngine[T]
	in    []*stackRun[T] // the members eng was built with, in its order
	start time.Time
}

// stackRun is one member's state.
type stackRun[T graph.Float] struct {
	runState
	i      int                 // index in the stack's members
	p      *graph.MLPParams[T] // its parameters: eng's (current after sync), or its own when not in eng
	done   bool                // finished, failed or interrupted: no longer trained
	frozen bool                // done, and frozen in eng
}

func newStackTrainer[T graph.Float](members []StackMember, d *Prepared[T], tuning engine.Tuning) (*stackTrainer[T], error) {
	if len(members) == 0 {
		return nil, errors.New("stack: no members")
	}
	lead := &members[0].Config
	key := StackKey(lead)
	for i := range members {
		cfg := &members[i].Config
		if err := cfg.Validate(); err != nil {
			return nil, fmt.Errorf("stack member %d: %w", i, err)
		}
		if !Stackable(cfg) {
			return nil, fmt.Errorf("stack member %d: a network with hidden layers (%s) trains alone on %s: its engine does not stack networks", i, cfg.Network(), cfg.Device)
		}
		if StackKey(cfg) != key {
			return nil, fmt.Errorf("stack member %d: its data, dtype, device, batches, augmentation or architecture differ from member 0's; runs of a stack share every mini-batch and one architecture", i)
		}
	}
	aug, err := checkTrainable(lead, d)
	if err != nil {
		return nil, err
	}
	n := d.Train.Len()
	t := &stackTrainer[T]{d: d, tuning: tuning, batches: newBatcher(lead, d, aug), n: n, k: len(d.Train.Y) / n, dim: len(d.Train.X) / n,
		lead: lead, results: make([]MemberResult[T], len(members)), start: time.Now()}
	t.shuffleSrc, t.augSrc = rand.NewPCG(lead.Seed, config.StreamShuffle), rand.NewPCG(lead.Seed, config.StreamAugment)
	t.shuffle, t.augRNG = rand.New(t.shuffleSrc), rand.New(t.augSrc)

	var at *runfiles.Checkpoint // where the resumed members stand
	for i, m := range members {
		rs, err := newRunState(m.Config, m.Options, n)
		if err != nil {
			return nil, fmt.Errorf("stack member %d: %w", i, err)
		}
		p, err := initialParams[T](&rs.cfg, t.k, t.dim)
		if err != nil {
			return nil, fmt.Errorf("stack member %d: %w", i, err)
		}
		r := &stackRun[T]{runState: rs, i: i, p: p}
		t.ms = append(t.ms, r)
		ck := m.Options.Resume
		if ck == nil {
			r.ck = freshCheckpoint(&r.cfg)
			ck = &r.ck
		} else if err := restoreRun(&r.runState, ck, d, r.p); err != nil {
			return nil, fmt.Errorf("stack member %d: %w", i, err)
		}
		if r.ck.Finished {
			continue
		}
		if at == nil {
			at = ck
		} else if !samePosition(at, ck) {
			return nil, fmt.Errorf("stack member %d: its checkpoint stands at %s, member 0's at %s: members of a stack must resume from the same point", i, position(ck), position(at))
		}
	}
	if at != nil && at.Shuffle != nil {
		if err := restoreRNGs(at, t.shuffleSrc, t.augSrc); err != nil {
			return nil, err
		}
		t.batches.resumeAt(at)
	}
	return t, nil
}

// samePosition reports whether two checkpoints of stack-mates stand at the
// same step with the same RNG states (a fresh state has none).
func samePosition(a, b *runfiles.Checkpoint) bool {
	return a.Epoch == b.Epoch && a.Step == b.Step && slices.Equal(a.Order, b.Order) &&
		string(a.Shuffle) == string(b.Shuffle) && string(a.Augment) == string(b.Augment)
}

func (t *stackTrainer[T]) splits() []*engine.Split[T] {
	return []*engine.Split[T]{t.d.Train, t.d.Val, t.d.Test}
}

// live returns the members still training.
func (t *stackTrainer[T]) live() []*stackRun[T] {
	var out []*stackRun[T]
	for _, r := range t.ms {
		if !r.done {
			out = append(out, r)
		}
	}
	return out
}

// build (re)builds the engine for the members rs, from their current
// parameters; the members' p become views into the engine's.
func (t *stackTrainer[T]) build(rs []*stackRun[T]) error {
	if t.eng != nil {
		if err := t.sync(); err != nil {
			return err
		}
		for _, r := range t.in {
			r.p = r.p.Clone()
		}
		err := t.eng.Close()
		t.eng, t.in = nil, nil
		if err != nil {
			return err
		}
	}
	spec := engine.StackSpec{Device: t.lead.Device, Batch: t.lead.Batch, Tuning: t.tuning}
	ps := make([]*graph.MLPParams[T], len(rs))
	for i, r := range rs {
		spec.Members = append(spec.Members, engine.Member{Loss: graph.Loss(r.cfg.Loss), Lambda: r.cfg.L2Weight()})
		ps[i] = r.p
	}
	eng, err := engine.NewNetStack(ps, spec, t.splits())
	if err != nil {
		return err
	}
	views, err := eng.Params()
	if err != nil {
		eng.Close()
		return err
	}
	for i, r := range rs {
		r.p, r.frozen = views[i], false
	}
	t.eng, t.in = eng, rs
	return nil
}

// sync brings the members' parameters in the engine up to date on the
// host (eng.Params) before they are read or changed: a device's engine
// keeps them there between its Params calls; the CPU's views are its own
// memory, always current.
func (t *stackTrainer[T]) sync() error {
	views, err := t.eng.Params()
	if err != nil {
		return err
	}
	for i, r := range t.in {
		r.p = views[i]
	}
	return nil
}

// evaluate evaluates split s for every member in the engine.
func (t *stackTrainer[T]) evaluate(s *engine.Split[T]) ([]engine.Eval, error) {
	evs := make([]engine.Eval, len(t.in))
	return evs, t.eng.Evaluate(s.Name, evs)
}

func (t *stackTrainer[T]) run(ctx context.Context) error {
	// Every member is in the first engine, the finished ones (resumed to
	// write their final files) too: their untrained and final evaluations
	// come from its passes.
	if err := t.build(t.ms); err != nil {
		return err
	}
	if err := t.untrained(); err != nil {
		return err
	}
	for _, r := range t.ms {
		if r.ck.Finished {
			t.stop(r)
		}
	}
	if err := t.finishStopped(false); err != nil {
		return err
	}
	steps := t.n / t.lead.Batch
	order := make([]int, t.n)
	etas, costs := make([]float64, len(t.ms)), make([]float64, len(t.ms))
	for {
		live := t.live()
		if len(live) == 0 {
			return nil
		}
		if len(live) < len(t.in) {
			if err := t.build(live); err != nil {
				return err
			}
		}
		lead := live[0]
		epoch := lead.ck.Epoch + 1
		t0 := time.Now()
		if lead.ck.Order == nil {
			t.batches.reorder(order, t.shuffle)
			t.batches.startEpoch(epoch)
			for _, r := range live {
				if r.cfg.Schedule == "cyclic" {
					r.ck.Eta = r.cfg.CyclicEta((epoch - 1) * steps)
				}
			}
		} else {
			copy(order, lead.ck.Order)
		}
		for step := lead.ck.Step; step < steps; step++ {
			if ctx.Err() != nil {
				return t.interrupted(ctx, epoch, step, order)
			}
			b := t.batches.make(order, step, t.augRNG)
			for i, r := range t.in {
				etas[i] = r.cfg.StepEta((epoch-1)*steps+step, r.ck.Eta)
			}
			if err := t.eng.Step(b, etas[:len(t.in)], costs[:len(t.in)]); err != nil {
				return err
			}
			for i, r := range t.in {
				if r.done {
					continue
				}
				if c := costs[i]; !isFinite(c) {
					t.fail(r, r.diverged(c, epoch, step+1, etas[i]))
				} else if r.opt.OnStep != nil {
					r.opt.OnStep(epoch, step+1, steps, c)
				}
			}
		}
		if err := t.endEpoch(epoch, time.Since(t0).Seconds()); err != nil {
			return err
		}
	}
}

// untrained evaluates the untrained parameters of the members that have
// no such evaluation yet (all of them, or none when resumed).
func (t *stackTrainer[T]) untrained() error {
	var need []int // indices in t.in
	for i, r := range t.in {
		if r.ck.Untrained == nil {
			need = append(need, i)
			r.ck.Untrained = map[string]engine.Eval{}
		}
	}
	if len(need) == 0 {
		return nil
	}
	for j, s := range t.splits() {
		evs, err := t.evaluate(s)
		if err != nil {
			return err
		}
		for _, i := range need {
			t.in[i].ck.Untrained[runfiles.SplitNames[j]] = evs[i]
		}
	}
	return nil
}

// endEpoch evaluates the epoch for every member, moves each to its next
// epoch, writes the checkpoints, and finishes the members whose training
// ended.
func (t *stackTrainer[T]) endEpoch(epoch int, secs float64) error {
	tr, err := t.evaluate(t.d.Train)
	if err != nil {
		return err
	}
	va, err := t.evaluate(t.d.Val)
	if err != nil {
		return err
	}
	if err := t.sync(); err != nil {
		return err
	}
	var saving []*stackRun[T]
	for i, r := range t.in {
		if r.done {
			continue
		}
		m, err := r.advance(epoch, secs, tr[i], va[i], func() (paramState, error) {
			return stateOf(r.p), nil
		})
		if err != nil {
			t.fail(r, err)
			continue
		}
		if r.opt.OnEpoch != nil {
			r.opt.OnEpoch(m)
		}
		saving = append(saving, r)
	}
	for i, err := range t.checkpoints(saving) {
		r := saving[i]
		switch {
		case err != nil:
			t.fail(r, err)
		case r.ck.Finished:
			t.stop(r)
		}
	}
	return t.finishStopped(false)
}

// checkpoints writes the members' checkpoints at once, on up to
// maxCheckpointWriters goroutines: each write ends in an fsync, and one
// after the other they took 40 % of a 16-member sweep's time (a lone run's
// are spread over the sweep's workers). A member's checkpoint touches only
// its own state and directory.
func (t *stackTrainer[T]) checkpoints(rs []*stackRun[T]) []error {
	errs := make([]error, len(rs))
	sem := make(chan struct{}, maxCheckpointWriters)
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = t.checkpoint(r)
		}()
	}
	wg.Wait()
	return errs
}

// maxCheckpointWriters bounds the checkpoint writes in flight.
const maxCheckpointWriters = 16

func (t *stackTrainer[T]) checkpoint(r *stackRun[T]) error {
	if r.opt.OnCheckpoint == nil {
		return nil
	}
	return r.save(stateOf(r.p), t.shuffleSrc, t.augSrc)
}

// fail ends member r with err: it is frozen and gets no result.
func (t *stackTrainer[T]) fail(r *stackRun[T], err error) {
	t.freeze(r)
	t.results[r.i] = MemberResult[T]{Err: err}
}

// stop ends member r's training; finishStopped evaluates it.
func (t *stackTrainer[T]) stop(r *stackRun[T]) {
	t.freeze(r)
}

func (t *stackTrainer[T]) freeze(r *stackRun[T]) {
	r.done = true
	for i, q := range t.in {
		if q == r && !r.frozen {
			t.eng.Freeze(i)
			r.frozen = true
		}
	}
}

// finishStopped evaluates, in one pass over each split, the final
// parameters of the members that stopped without a result yet (the best
// epoch's with early stopping, unless partial) and sets their results.
func (t *stackTrainer[T]) finishStopped(partial bool) error {
	var todo []int // indices in t.in
	for i, r := range t.in {
		if r.done && t.results[r.i].Trained == nil && t.results[r.i].Err == nil {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if err := t.sync(); err != nil {
		return err
	}
	finals := map[int]*graph.MLPParams[T]{}
	for _, i := range todo {
		finals[i] = finalParams(&t.in[i].runState, t.in[i].p, partial)
	}
	var after [3][]engine.Eval
	var sizes [3]int
	for j, s := range t.splits() {
		evs, err := t.evaluate(s)
		if err != nil {
			return err
		}
		after[j], sizes[j] = evs, s.Len()
	}
	for _, i := range todo {
		r := t.in[i]
		res := r.result(partial, [3]engine.Eval{after[0][i], after[1][i], after[2][i]}, sizes, t.start)
		t.results[r.i].Trained = &Trained[T]{Result: res, Params: finals[i]}
	}
	return nil
}

// interrupted checkpoints every member still training at step (0-based) of
// epoch and sets its partial result with an error wrapping ErrInterrupted.
func (t *stackTrainer[T]) interrupted(ctx context.Context, epoch, step int, order []int) error {
	cause := fmt.Errorf("%w at epoch %d, step %d: %w", ErrInterrupted, epoch, step+1, context.Cause(ctx))
	if err := t.sync(); err != nil {
		return err
	}
	var live []*stackRun[T]
	for _, r := range t.in {
		if r.done {
			continue
		}
		live = append(live, r)
		r.ck.Step, r.ck.Order = step, append([]int(nil), order...)
		if err := t.checkpoint(r); err != nil {
			t.fail(r, errors.Join(cause, err))
			continue
		}
		t.stop(r)
	}
	if err := t.finishStopped(true); err != nil {
		return err
	}
	for _, r := range live {
		if res := &t.results[r.i]; res.Err == nil {
			res.Err = cause
		}
	}
	return nil
}
