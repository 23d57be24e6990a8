package models

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gtrain/gtrain/graph"
)

// RNG streams drawn from the seed: one for the initialization, one for the
// shuffling, so that turning shuffling on does not change the initial W.
const (
	streamInit    = 0x9e3779b97f4a7c15
	streamShuffle = 0xd1b54a32d192ed03
)

// Options are the trainer's hooks; the zero value is fine.
type Options struct {
	// OnEpoch is called after each epoch with its metrics.
	OnEpoch func(EpochMetrics)
	// OnStep is called after each gradient step (1-based) with the
	// mini-batch cost, for progress displays.
	OnStep func(epoch, step, steps int, cost float64)
}

// Trained is what Train returns: the result and the final parameters.
type Trained[T graph.Float] struct {
	Result *Result
	Params *graph.Params[T]
}

// Train runs mini-batch gradient descent as the course does: W and b drawn
// from N(0, InitStd²); per epoch, the training split in consecutive batches
// of cfg.Batch (reshuffled first when cfg.Shuffle; a last partial batch is
// dropped), η multiplied by cfg.Decay after the epoch. It evaluates all
// splits before and after training and train and val after each epoch. The
// same Config and data give bit-identical results on the CPU.
func Train[T graph.Float](ctx context.Context, cfg Config, d *Prepared[T], opt Options) (*Trained[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := d.Train.Len()
	if cfg.Batch > n {
		return nil, fmt.Errorf("batch %d: larger than the %d training images", cfg.Batch, n)
	}
	k, dim := len(d.Train.Y)/n, len(d.Train.X)/n
	loss := graph.Loss(cfg.Loss)

	p := graph.NewParams[T](k, dim)
	p.InitGaussian(rand.New(rand.NewPCG(cfg.Seed, streamInit)), cfg.InitStd)
	eng, err := NewEngine(p, EngineSpec{Device: cfg.Device, Loss: loss, Lambda: cfg.Lambda, Batch: cfg.Batch})
	if err != nil {
		return nil, err
	}
	defer eng.Close()

	start := time.Now()
	splits := []*Split[T]{d.Train, d.Val, d.Test}
	before := make([]Eval, len(splits))
	for i, s := range splits {
		if before[i], err = eng.Evaluate(s); err != nil {
			return nil, err
		}
	}

	res := &Result{Device: cfg.Device, Dtype: cfg.Dtype, ConfigHash: cfg.Hash(), Splits: map[string]SplitResult{}}
	shuffle := rand.New(rand.NewPCG(cfg.Seed, streamShuffle))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	xb, yb := make([]T, cfg.Batch*dim), make([]T, cfg.Batch*k)
	eta := cfg.Eta
	steps := n / cfg.Batch
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		t0 := time.Now()
		if cfg.Shuffle {
			shuffle.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		for step := 0; step < steps; step++ {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("stopped at epoch %d, step %d: %w", epoch, step+1, err)
			}
			from, to := step*cfg.Batch, (step+1)*cfg.Batch
			var x, y []T
			if cfg.Shuffle {
				gather(xb, d.Train.X, order[from:to], dim)
				gather(yb, d.Train.Y, order[from:to], k)
				x, y = xb, yb
			} else {
				// Consecutive images are a contiguous view: no copy.
				x, y = d.Train.X[from*dim:to*dim], d.Train.Y[from*k:to*k]
			}
			c, err := eng.Step(x, y, eta)
			if err != nil {
				return nil, err
			}
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return nil, fmt.Errorf("training diverged: the cost is %v at epoch %d, step %d (eta %g); try a smaller eta", c, epoch, step+1, eta)
			}
			if opt.OnStep != nil {
				opt.OnStep(epoch, step+1, steps, c)
			}
		}
		secs := time.Since(t0).Seconds()
		tr, err := eng.Evaluate(d.Train)
		if err != nil {
			return nil, err
		}
		va, err := eng.Evaluate(d.Val)
		if err != nil {
			return nil, err
		}
		m := EpochMetrics{
			Epoch: epoch, Eta: eta, Seconds: secs,
			TrainLoss: tr.Loss, TrainCost: tr.Cost, TrainAcc: tr.Accuracy(),
			ValLoss: va.Loss, ValCost: va.Cost, ValAcc: va.Accuracy(),
		}
		if math.IsNaN(tr.Cost) || math.IsInf(tr.Cost, 0) {
			return nil, fmt.Errorf("training diverged: the training cost is %v after epoch %d (eta %g); try a smaller eta", tr.Cost, epoch, eta)
		}
		res.Epochs = append(res.Epochs, m)
		res.EpochSeconds = append(res.EpochSeconds, secs)
		if opt.OnEpoch != nil {
			opt.OnEpoch(m)
		}
		eta *= cfg.Decay
	}
	for i, s := range splits {
		after, err := eng.Evaluate(s)
		if err != nil {
			return nil, err
		}
		res.Splits[SplitNames[i]] = SplitResult{
			Size:              s.Len(),
			AccuracyUntrained: before[i].Accuracy(), AccuracyTrained: after.Accuracy(),
			CostUntrained: before[i].Cost, CostTrained: after.Cost,
			LossUntrained: before[i].Loss, LossTrained: after.Loss,
		}
	}
	res.TotalSeconds = time.Since(start).Seconds()
	final, err := eng.Params()
	if err != nil {
		return nil, err
	}
	return &Trained[T]{Result: res, Params: final.Clone()}, nil
}

// gather copies the rows idx of the row-major matrix src (rows of width w)
// into dst.
func gather[T graph.Float](dst, src []T, idx []int, w int) {
	for i, r := range idx {
		copy(dst[i*w:(i+1)*w], src[r*w:(r+1)*w])
	}
}
