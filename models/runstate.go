package models

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/data/augment"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

// runState is one run's training state, kept in checkpoint form, with
// the logic a lone run and a member of a stack share: restoring from a
// checkpoint, the end of an epoch (metrics, early stopping, the next
// rate), checkpoints and the result.
type runState struct {
	cfg    config.Config
	epochs int // the run's length: cfg.Epochs, or its cycles in epochs
	opt    Options
	ck     runfiles.Checkpoint // the state, kept in checkpoint form
	saved  string              // the last checkpoint on disk, for error messages ("" if none)
}

// freshCheckpoint is the state of a run that has not started.
func freshCheckpoint(cfg *config.Config) runfiles.Checkpoint {
	return runfiles.Checkpoint{Version: runfiles.CheckpointVersion, ConfigHash: cfg.Hash(), Dtype: cfg.Dtype, Eta: cfg.EpochEta(1, 0)}
}

// restoreRun sets r's state and p from a checkpoint of r's configuration,
// after checking it against the configuration and the data.
func restoreRun[T graph.Float](r *runState, ck *runfiles.Checkpoint, d *Prepared[T], p *graph.MLPParams[T]) error {
	if err := ck.Check(&r.cfg, shapeOfPrepared(d)); err != nil {
		return fmt.Errorf("resume: checkpoint refused: %w", err)
	}
	setParams(p, paramState{w: ck.W, b: ck.B, tensors: ck.Tensors})
	r.ck = *ck
	r.ck.Checksum = ""
	r.saved = position(ck)
	r.ck.Epochs = append([]runfiles.EpochMetrics(nil), ck.Epochs...)
	r.ck.EpochSeconds = append([]float64(nil), ck.EpochSeconds...)
	return nil
}

// restoreRNGs sets the shuffle and augmentation RNGs from a checkpoint.
func restoreRNGs(ck *runfiles.Checkpoint, shuffle, aug *rand.PCG) error {
	if err := shuffle.UnmarshalBinary(ck.Shuffle); err != nil {
		return fmt.Errorf("resume: shuffle RNG state: %w", err)
	}
	if err := aug.UnmarshalBinary(ck.Augment); err != nil {
		return fmt.Errorf("resume: augmentation RNG state: %w", err)
	}
	return nil
}

// diverged is the error of a step whose cost c is not finite.
func (r *runState) diverged(c float64, epoch, step int, eta float64) error {
	return fmt.Errorf("training diverged: the cost is %v at epoch %d, step %d (eta %g); %s; try a smaller eta", c, epoch, step, eta, r.lastGood())
}

// advance records the evaluations tr and va of the epoch just trained,
// updates the early-stopping state (params gives the current W and b, read
// only when they are the best so far) and moves the state to the next
// epoch.
func (r *runState) advance(epoch int, secs float64, tr, va engine.Eval, params func() (paramState, error)) (runfiles.EpochMetrics, error) {
	if !isFinite(tr.Cost) {
		return runfiles.EpochMetrics{}, fmt.Errorf("training diverged: the training cost is %v after epoch %d (eta %g); %s; try a smaller eta", tr.Cost, epoch, r.ck.Eta, r.lastGood())
	}
	m := runfiles.EpochMetrics{
		Epoch: epoch, Eta: r.ck.Eta, Seconds: secs,
		TrainLoss: tr.Loss, TrainCost: tr.Cost, TrainAcc: tr.Accuracy(),
		ValLoss: va.Loss, ValCost: va.Cost, ValAcc: va.Accuracy(),
	}
	ck := &r.ck
	ck.Epochs = append(ck.Epochs, m)
	ck.EpochSeconds = append(ck.EpochSeconds, secs)
	ck.Epoch, ck.Step, ck.Order = epoch, 0, nil
	if r.cfg.EarlyStop > 0 {
		if m.ValAcc > ck.BestAcc || ck.BestEpoch == 0 {
			ps, err := params()
			if err != nil {
				return m, err
			}
			ck.BestAcc, ck.BestEpoch = m.ValAcc, epoch
			ck.BestW, ck.BestB, ck.BestTensors = ps.w, ps.b, ps.tensors
		} else if epoch-ck.BestEpoch >= r.cfg.EarlyStop {
			ck.Finished = true
		}
	}
	if epoch == r.epochs {
		ck.Finished = true
	}
	if !ck.Finished {
		ck.Eta = r.cfg.EpochEta(epoch+1, ck.Eta)
	}
	return m, nil
}

// save fills in the parameters and the RNG states and hands the state to
// the OnCheckpoint hook.
func (r *runState) save(ps paramState, shuffle, aug *rand.PCG) error {
	var err error
	r.ck.W, r.ck.B, r.ck.Tensors = ps.w, ps.b, ps.tensors
	if r.ck.Shuffle, err = shuffle.MarshalBinary(); err != nil {
		return err
	}
	if r.ck.Augment, err = aug.MarshalBinary(); err != nil {
		return err
	}
	ck := r.ck
	if err := r.opt.OnCheckpoint(&ck); err != nil {
		return fmt.Errorf("writing the checkpoint after epoch %d: %w", r.ck.Epoch, err)
	}
	r.saved = position(&r.ck)
	return nil
}

// position names where a checkpoint stands.
func position(ck *runfiles.Checkpoint) string {
	if ck.Order != nil {
		return fmt.Sprintf("epoch %d, step %d", ck.Epoch, ck.Step)
	}
	return fmt.Sprintf("epoch %d", ck.Epoch)
}

// lastGood says, for a divergence error, which checkpoint to go back to.
func (r *runState) lastGood() string {
	switch {
	case r.saved != "":
		return "the last good checkpoint is that of " + r.saved
	case r.ck.Epoch == 0:
		return "no checkpoint was written (the run diverged in its first epoch)"
	}
	return "no checkpoint was written"
}

// finalParams returns a copy of the parameters p to report: with early
// stopping, after a complete run, the best epoch's, also set into p.
func finalParams[T graph.Float](r *runState, p *graph.MLPParams[T], partial bool) *graph.MLPParams[T] {
	final := p.Clone()
	if r.cfg.EarlyStop > 0 && r.ck.BestEpoch > 0 && !partial {
		setParams(final, paramState{w: r.ck.BestW, b: r.ck.BestB, tensors: r.ck.BestTensors})
		p.CopyFrom(final)
	}
	return final
}

// paramState is a network's parameters in checkpoint form: the linear
// classifier's W and b, or the tensors of a network with hidden layers.
type paramState struct {
	w, b    runfiles.Floats
	tensors []runfiles.Tensor
}

// stateOf returns p in checkpoint form.
func stateOf[T graph.Float](p *graph.MLPParams[T]) paramState {
	if p.Arch.Linear() {
		return paramState{w: toFloats(p.Tensors[0].Data), b: toFloats(p.Tensors[1].Data)}
	}
	ts := make([]runfiles.Tensor, len(p.Tensors))
	for i, t := range p.Tensors {
		ts[i] = runfiles.Tensor{Name: t.Name, Values: toFloats(t.Data)}
	}
	return paramState{tensors: ts}
}

// setParams sets p from its checkpoint form (checked against p's network
// by Checkpoint.Check).
func setParams[T graph.Float](p *graph.MLPParams[T], ps paramState) {
	if p.Arch.Linear() {
		for i, v := range ps.w {
			p.Tensors[0].Data[i] = T(v)
		}
		for i, v := range ps.b {
			p.Tensors[1].Data[i] = T(v)
		}
		return
	}
	for i, t := range ps.tensors {
		for j, v := range t.Values {
			p.Tensors[i].Data[j] = T(v)
		}
	}
}

// result assembles the run's result from the evaluations after training
// of the splits (in SplitNames order).
func (r *runState) result(partial bool, after [3]engine.Eval, sizes [3]int, start time.Time) *runfiles.Result {
	res := &runfiles.Result{Device: r.cfg.Device, Dtype: r.cfg.Dtype, ConfigHash: r.cfg.Hash(), Splits: map[string]runfiles.SplitResult{},
		Epochs: r.ck.Epochs, EpochSeconds: r.ck.EpochSeconds, Partial: partial, BestEpoch: r.ck.BestEpoch}
	if res.EpochSeconds == nil {
		res.EpochSeconds = []float64{}
	}
	for i, name := range runfiles.SplitNames {
		before := r.ck.Untrained[name]
		res.Splits[name] = runfiles.SplitResult{
			Size:              sizes[i],
			AccuracyUntrained: before.Accuracy(), AccuracyTrained: after[i].Accuracy(),
			CostUntrained: before.Cost, CostTrained: after[i].Cost,
			LossUntrained: before.Loss, LossTrained: after[i].Loss,
		}
	}
	res.TotalSeconds = time.Since(start).Seconds()
	return res
}

func isFinite(v float64) bool { return v-v == 0 }

func toFloats[T graph.Float](v []T) runfiles.Floats {
	out := make(runfiles.Floats, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// checkTrainable checks what a run of cfg needs of the data d, as both
// trainers do, and returns its augmentation pipeline.
func checkTrainable[T graph.Float](cfg *config.Config, d *Prepared[T]) (*augment.Pipeline, error) {
	if want := graph.Dtype[T]().String(); cfg.Dtype != want {
		return nil, fmt.Errorf("dtype %s: the data were prepared as %s", cfg.Dtype, want)
	}
	if n := d.Train.Len(); cfg.Batch > n {
		return nil, fmt.Errorf("batch %d: larger than the %d training images", cfg.Batch, n)
	}
	aug, err := augment.Parse(cfg.Augment)
	if err != nil {
		return nil, fmt.Errorf("augment: %w", err)
	}
	if len(cfg.Augment) > 0 && d.Train.Pixels == nil {
		return nil, fmt.Errorf("augment: the training split carries no raw pixels")
	}
	return aug, nil
}

// batcher makes the mini-batches of an epoch as the course does: the rows
// order[step·B : (step+1)·B] of the training split, augmented when the
// configuration says so (then with their own X and Y, drawn from rng),
// named by their rows when shuffled, else consecutive rows read in place.
type batcher[T graph.Float] struct {
	d             *Prepared[T]
	batch, k, dim int
	shuffle       bool
	aug           *augment.Pipeline // nil: none
	unit, xb, yb  []T               // the augmented batch
	// With Config.AugmentInPlace, images are every training image in
	// [0, 1] units, augmented once more at the start of each epoch; the
	// batches are their rows, normalized.
	inPlace bool
	seed    uint64
	images  []T
	applied int // epochs applied to images
}

func newBatcher[T graph.Float](cfg *config.Config, d *Prepared[T], aug *augment.Pipeline) *batcher[T] {
	n := d.Train.Len()
	b := &batcher[T]{d: d, batch: cfg.Batch, k: len(d.Train.Y) / n, dim: len(d.Train.X) / n, shuffle: cfg.Shuffle}
	if len(cfg.Augment) > 0 {
		b.aug = aug
		b.unit = make([]T, b.batch*b.dim)
		b.xb, b.yb = make([]T, b.batch*b.dim), make([]T, b.batch*b.k)
	}
	if cfg.AugmentInPlace {
		b.inPlace, b.seed = true, cfg.Seed
		b.images = make([]T, n*b.dim)
		data.ToUnit(b.images, d.Train.Pixels)
	}
	return b
}

// startEpoch applies epoch's in-place augmentation (1-based) to the
// stored images; nothing without Config.AugmentInPlace.
func (b *batcher[T]) startEpoch(epoch int) {
	if !b.inPlace {
		return
	}
	augment.Apply(b.aug, b.images, rand.New(rand.NewPCG(b.seed+uint64(epoch), config.StreamInPlace)))
	b.applied = epoch
}

// resumeAt rebuilds the stored images of a run resumed from a checkpoint
// at ck: every epoch begun, from the clean images, in order.
func (b *batcher[T]) resumeAt(ck *runfiles.Checkpoint) {
	begun := ck.Epoch
	if ck.Order != nil {
		begun++ // the checkpoint is inside epoch Epoch+1
	}
	for e := b.applied + 1; e <= begun; e++ {
		b.startEpoch(e)
	}
}

// augmented reports whether the batches carry their own X and Y.
func (b *batcher[T]) augmented() bool { return b.aug != nil }

// reorder sets order to the next epoch's: the identity permuted afresh by
// shuffle when the configuration shuffles (so that the order depends on the
// RNG state alone; an interrupted epoch keeps its order in the checkpoint).
func (b *batcher[T]) reorder(order []int, shuffle *rand.Rand) {
	for i := range order {
		order[i] = i
	}
	if b.shuffle {
		shuffle.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
}

// make returns the batch of step (0-based) of the epoch in order; rng
// draws its augmentation.
func (b *batcher[T]) make(order []int, step int, rng *rand.Rand) engine.Batch[T] {
	from, to := step*b.batch, (step+1)*b.batch
	switch {
	case b.inPlace:
		for i, r := range order[from:to] {
			data.NormalizeFloat(b.xb[i*b.dim:(i+1)*b.dim], b.images[r*b.dim:(r+1)*b.dim], b.d.Normalizer)
		}
		engine.Gather(b.yb, b.d.Train.Y, order[from:to], b.k)
		return engine.Batch[T]{X: b.xb, Y: b.yb}
	case b.aug != nil:
		px := b.d.Train.Pixels
		for i, r := range order[from:to] {
			data.ToUnit(b.unit[i*b.dim:(i+1)*b.dim], px[r*b.dim:(r+1)*b.dim])
		}
		augment.Apply(b.aug, b.unit, rng)
		data.NormalizeFloat(b.xb, b.unit, b.d.Normalizer)
		engine.Gather(b.yb, b.d.Train.Y, order[from:to], b.k)
		return engine.Batch[T]{X: b.xb, Y: b.yb}
	case b.shuffle:
		return engine.Batch[T]{Split: b.d.Train.Name, Rows: order[from:to]}
	}
	// Consecutive images: the engine reads them in place.
	return engine.Batch[T]{Split: b.d.Train.Name, Start: from}
}

// shapeOfPrepared is the DataShape of prepared splits, which a resumed
// checkpoint is checked against.
func shapeOfPrepared[T graph.Float](d *Prepared[T]) runfiles.DataShape {
	n := d.Train.Len()
	sh := runfiles.DataShape{K: len(d.Train.Y) / n, D: len(d.Train.X) / n, Sizes: map[string]int{}}
	for i, s := range []*engine.Split[T]{d.Train, d.Val, d.Test} {
		sh.Sizes[runfiles.SplitNames[i]] = s.Len()
	}
	return sh
}

// newRunState is the state of a run of cfg on a training split of n
// images, its length resolved.
func newRunState(cfg config.Config, opt Options, n int) (runState, error) {
	epochs, err := cfg.EpochsFor(n / cfg.Batch)
	if err != nil {
		return runState{}, err
	}
	return runState{cfg: cfg, opt: opt, epochs: epochs}, nil
}

// initialParams returns the network of cfg for dim inputs and k classes,
// drawn from the seed's initialization stream: the linear classifier's W
// then b from N(0, init_std²) (as Assignment 1), unless cfg.Init says how;
// a network's weights by cfg.WeightInit.
func initialParams[T graph.Float](cfg *config.Config, k, dim int) (*graph.MLPParams[T], error) {
	p, err := graph.NewMLPParams[T](cfg.Arch(dim, k))
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, config.StreamInit))
	init := cfg.WeightInit()
	if init == "" {
		view, err := graph.LinearView(p)
		if err != nil {
			return nil, err
		}
		view.InitGaussian(rng, cfg.InitStd)
		return p, nil
	}
	return p, p.Init(rng, init)
}
