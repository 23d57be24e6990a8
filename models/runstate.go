package models

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// runState is one run's training state, kept in checkpoint form, with
// the logic a lone run and a member of a stack share: restoring from a
// checkpoint, the end of an epoch (metrics, early stopping, the next
// rate), checkpoints and the result.
type runState struct {
	cfg   Config
	opt   Options
	ck    Checkpoint // the state, kept in checkpoint form
	saved string     // the last checkpoint on disk, for error messages ("" if none)
}

// freshCheckpoint is the state of a run that has not started.
func freshCheckpoint(cfg *Config) Checkpoint {
	return Checkpoint{Version: checkpointVersion, ConfigHash: cfg.Hash(), Dtype: cfg.Dtype, Eta: cfg.epochEta(1, 0)}
}

// restoreRun sets r's state and p from a checkpoint of r's configuration,
// after checking it against the configuration and the data.
func restoreRun[T graph.Float](r *runState, ck *Checkpoint, d *Prepared[T], p *graph.Params[T]) error {
	if err := ck.Check(&r.cfg, shapeOfPrepared(d)); err != nil {
		return fmt.Errorf("resume: checkpoint refused: %w", err)
	}
	for i, v := range ck.W {
		p.W[i] = T(v)
	}
	for i, v := range ck.B {
		p.B[i] = T(v)
	}
	r.ck = *ck
	r.ck.Checksum = ""
	r.saved = ck.position()
	r.ck.Epochs = append([]EpochMetrics(nil), ck.Epochs...)
	r.ck.EpochSeconds = append([]float64(nil), ck.EpochSeconds...)
	return nil
}

// restoreRNGs sets the shuffle and augmentation RNGs from a checkpoint.
func restoreRNGs(ck *Checkpoint, shuffle, aug *rand.PCG) error {
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
func (r *runState) advance(epoch int, secs float64, tr, va engine.Eval, params func() (w, b []float64, err error)) (EpochMetrics, error) {
	if !isFinite(tr.Cost) {
		return EpochMetrics{}, fmt.Errorf("training diverged: the training cost is %v after epoch %d (eta %g); %s; try a smaller eta", tr.Cost, epoch, r.ck.Eta, r.lastGood())
	}
	m := EpochMetrics{
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
			w, b, err := params()
			if err != nil {
				return m, err
			}
			ck.BestAcc, ck.BestEpoch = m.ValAcc, epoch
			ck.BestW, ck.BestB = w, b
		} else if epoch-ck.BestEpoch >= r.cfg.EarlyStop {
			ck.Finished = true
		}
	}
	if epoch == r.cfg.Epochs {
		ck.Finished = true
	}
	if !ck.Finished {
		ck.Eta = r.cfg.epochEta(epoch+1, ck.Eta)
	}
	return m, nil
}

// save fills in the parameters w and b and the RNG states and hands the state
// to the OnCheckpoint hook.
func (r *runState) save(w, b floats, shuffle, aug *rand.PCG) error {
	var err error
	r.ck.W, r.ck.B = w, b
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
	r.saved = r.ck.position()
	return nil
}

// position names where a checkpoint stands.
func (ck *Checkpoint) position() string {
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
func finalParams[T graph.Float](r *runState, p *graph.Params[T], partial bool) *graph.Params[T] {
	final := p.Clone()
	if r.cfg.EarlyStop > 0 && r.ck.BestEpoch > 0 && !partial {
		for i, v := range r.ck.BestW {
			final.W[i] = T(v)
		}
		for i, v := range r.ck.BestB {
			final.B[i] = T(v)
		}
		p.CopyFrom(final)
	}
	return final
}

// result assembles the run's result from the evaluations after training
// of the splits (in SplitNames order).
func (r *runState) result(partial bool, after [3]engine.Eval, sizes [3]int, start time.Time) *Result {
	res := &Result{Device: r.cfg.Device, Dtype: r.cfg.Dtype, ConfigHash: r.cfg.Hash(), Splits: map[string]SplitResult{},
		Epochs: r.ck.Epochs, EpochSeconds: r.ck.EpochSeconds, Partial: partial, BestEpoch: r.ck.BestEpoch}
	if res.EpochSeconds == nil {
		res.EpochSeconds = []float64{}
	}
	for i, name := range SplitNames {
		before := r.ck.Untrained[name]
		res.Splits[name] = SplitResult{
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

func toFloats[T graph.Float](v []T) floats {
	out := make(floats, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
