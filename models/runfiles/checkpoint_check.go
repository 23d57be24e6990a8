package runfiles

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/models/config"
)

// DataShape is what a checkpoint is checked against besides its
// configuration: the number of classes K, the input dimension D and the
// size of every split.
type DataShape struct {
	K, D  int
	Sizes map[string]int // by SplitNames
}

// ShapeOf returns the shape of loaded splits, as Prepare lays them out.
func ShapeOf(s *data.Splits) DataShape {
	sh := DataShape{K: data.NumClasses, D: data.ImageSize, Sizes: map[string]int{}}
	for i, ds := range []*data.Dataset{s.Train, s.Val, s.Test} {
		sh.Sizes[SplitNames[i]] = ds.Len()
	}
	return sh
}

// Check compares every field of a decoded checkpoint with what a run of
// cfg on data of shape sh can have written: position, learning rate
// (recomputed from the schedule), parameter sizes, the epoch's order and
// the shuffling RNG (both replayed from the seed), the augmentation RNG
// (reachable from the seed in no more draws than the steps can make),
// metrics per epoch, the untrained figures and the early-stopping state.
// With the checksum this refuses a checkpoint that would not continue the
// run exactly.
func (ck *Checkpoint) Check(cfg *config.Config, sh DataShape) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	n := sh.Sizes["train"]
	if n < cfg.Batch || sh.K < 1 || sh.D < 1 {
		return fmt.Errorf("the data (K=%d, d=%d, %d training images) cannot hold a run with batches of %d", sh.K, sh.D, n, cfg.Batch)
	}
	steps := n / cfg.Batch
	epochs, err := cfg.EpochsFor(steps)
	if err != nil {
		return err
	}
	linear := len(cfg.Hidden) == 0
	e := ck.Epoch
	switch {
	case ck.ConfigHash != cfg.Hash() || ck.Dtype != cfg.Dtype:
		return fmt.Errorf("written for configuration %s (%s), not %s (%s)", ck.ConfigHash, ck.Dtype, cfg.Hash(), cfg.Dtype)
	case e < 0 || e > epochs:
		return fmt.Errorf("epoch %d: the run has %d epochs", e, epochs)
	case ck.Step < 0 || ck.Step >= steps:
		return fmt.Errorf("step %d: an epoch has %d steps", ck.Step, steps)
	case ck.Order == nil && ck.Step != 0:
		return fmt.Errorf("step %d of epoch %d without the epoch's order", ck.Step, e+1)
	case ck.Order == nil && e == 0:
		return fmt.Errorf("epoch 0 without the epoch's order (a checkpoint before epoch 1 is only written mid-epoch)")
	case ck.Order != nil && ck.Finished:
		return fmt.Errorf("a finished run with an unfinished epoch's order")
	case linear && (len(ck.W) != sh.K*sh.D || len(ck.B) != sh.K):
		return fmt.Errorf("parameters of %d and %d values, the data need %d×%d and %d", len(ck.W), len(ck.B), sh.K, sh.D, sh.K)
	case linear && len(ck.Tensors) != 0:
		return fmt.Errorf("a network's tensors for the linear classifier")
	case len(ck.Epochs) != e || len(ck.EpochSeconds) != e:
		return fmt.Errorf("%d epochs of metrics and %d of seconds at epoch %d", len(ck.Epochs), len(ck.EpochSeconds), e)
	}
	if linear {
		if err := checkParams("parameters", ck.W, ck.B, cfg.Dtype); err != nil {
			return err
		}
	} else if err := CheckTensors("parameters", ck.Tensors, cfg.Arch(sh.D, sh.K), cfg.Dtype); err != nil {
		return err
	}
	if err := ck.checkEpochs(cfg, steps); err != nil {
		return err
	}
	if err := ck.checkUntrained(sh); err != nil {
		return err
	}
	if err := ck.checkEarlyStop(cfg, sh); err != nil {
		return err
	}
	stopped := cfg.EarlyStop > 0 && e > 0 && e-ck.BestEpoch >= cfg.EarlyStop
	if ck.Finished != (e == epochs || stopped) {
		return fmt.Errorf("finished %v at epoch %d of %d (early stop %d, best epoch %d)", ck.Finished, e, epochs, cfg.EarlyStop, ck.BestEpoch)
	}
	// The rate in use: that of the epoch under way, or of the last one
	// when finished; at a boundary the cyclic schedule holds its
	// cycle's start (recomputed when the next epoch begins).
	want := cfg.EtaOfEpoch(e+1, steps)
	switch {
	case ck.Finished:
		want = cfg.EtaOfEpoch(e, steps)
	case cfg.Schedule == "cyclic" && ck.Order == nil:
		want = cfg.CyclicEta(0)
	}
	if ck.Eta != want {
		return fmt.Errorf("learning rate %v: the schedule gives %v", ck.Eta, want)
	}
	if err := ck.checkOrder(cfg, n); err != nil {
		return err
	}
	return ck.checkAugmentRNG(cfg, steps, sh.D)
}

func checkParams(what string, w, b Floats, dtype string) error {
	for _, v := range append(append([]float64(nil), w...), b...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s hold %v", what, v)
		}
		if dtype == "float32" && float64(float32(v)) != v {
			return fmt.Errorf("%s hold %v, not a float32 value", what, v)
		}
	}
	return nil
}

func (ck *Checkpoint) checkEpochs(cfg *config.Config, steps int) error {
	// Losses are only required finite: a device's arithmetic may round
	// one a hair below 0.
	finite := func(vs ...float64) bool {
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
		return true
	}
	frac := func(v float64) bool { return v >= 0 && v <= 1 }
	for i, m := range ck.Epochs {
		switch {
		case m.Epoch != i+1:
			return fmt.Errorf("metrics of epoch %d in place %d", m.Epoch, i+1)
		case m.Eta != cfg.EtaOfEpoch(i+1, steps):
			return fmt.Errorf("epoch %d: learning rate %v, the schedule gives %v", i+1, m.Eta, cfg.EtaOfEpoch(i+1, steps))
		case !finite(m.TrainLoss, m.TrainCost, m.ValLoss, m.ValCost, m.Seconds) || m.Seconds < 0 || !frac(m.TrainAcc) || !frac(m.ValAcc):
			return fmt.Errorf("epoch %d: metrics out of range: %+v", i+1, m)
		case ck.EpochSeconds[i] != m.Seconds:
			return fmt.Errorf("epoch %d: %v seconds in the metrics, %v in epoch_seconds", i+1, m.Seconds, ck.EpochSeconds[i])
		}
	}
	return nil
}

func (ck *Checkpoint) checkUntrained(sh DataShape) error {
	if len(ck.Untrained) != len(SplitNames) {
		return fmt.Errorf("untrained figures of %d splits, want %v", len(ck.Untrained), SplitNames)
	}
	for _, s := range SplitNames {
		ev, ok := ck.Untrained[s]
		switch {
		case !ok:
			return fmt.Errorf("no untrained figures of split %s", s)
		case ev.N != sh.Sizes[s] || ev.Correct < 0 || ev.Correct > ev.N:
			return fmt.Errorf("untrained %s: %d of %d correct, the split has %d images", s, ev.Correct, ev.N, sh.Sizes[s])
		case math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) || math.IsNaN(ev.Cost) || math.IsInf(ev.Cost, 0):
			return fmt.Errorf("untrained %s: loss %v, cost %v", s, ev.Loss, ev.Cost)
		}
	}
	return nil
}

// checkEarlyStop: the best epoch is the first with the highest validation
// accuracy so far, as endEpoch keeps it.
func (ck *Checkpoint) checkEarlyStop(cfg *config.Config, sh DataShape) error {
	if cfg.EarlyStop == 0 || ck.Epoch == 0 {
		if ck.BestEpoch != 0 || ck.BestAcc != 0 || ck.BestW != nil || ck.BestB != nil || ck.BestTensors != nil {
			return fmt.Errorf("an early-stopping state (best epoch %d) where there can be none", ck.BestEpoch)
		}
		return nil
	}
	best := 0
	for i, m := range ck.Epochs {
		if m.ValAcc > ck.Epochs[best].ValAcc {
			best = i
		}
	}
	if ck.BestEpoch != best+1 || ck.BestAcc != ck.Epochs[best].ValAcc {
		return fmt.Errorf("best epoch %d (accuracy %v), the metrics say %d (%v)", ck.BestEpoch, ck.BestAcc, best+1, ck.Epochs[best].ValAcc)
	}
	if len(cfg.Hidden) > 0 {
		return CheckTensors("best parameters", ck.BestTensors, cfg.Arch(sh.D, sh.K), cfg.Dtype)
	}
	switch {
	case len(ck.BestW) != sh.K*sh.D || len(ck.BestB) != sh.K:
		return fmt.Errorf("best parameters of %d and %d values, the data need %d and %d", len(ck.BestW), len(ck.BestB), sh.K*sh.D, sh.K)
	}
	return checkParams("best parameters", ck.BestW, ck.BestB, cfg.Dtype)
}

// checkOrder replays the shuffling from the seed: the order of an epoch
// under way and the shuffling RNG's state are then known exactly.
func (ck *Checkpoint) checkOrder(cfg *config.Config, n int) error {
	if ck.Order != nil {
		if len(ck.Order) != n {
			return fmt.Errorf("order of %d samples, the training split has %d", len(ck.Order), n)
		}
		seen := make([]bool, n)
		for _, i := range ck.Order {
			if i < 0 || i >= n || seen[i] {
				return fmt.Errorf("order is not a permutation of the %d training images (index %d)", n, i)
			}
			seen[i] = true
		}
	}
	src := rand.NewPCG(cfg.Seed, config.StreamShuffle)
	rng := rand.New(src)
	order := make([]int, n)
	epochs := ck.Epoch
	if ck.Order != nil {
		epochs++
	}
	for range epochs {
		for i := range order {
			order[i] = i
		}
		if cfg.Shuffle {
			rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
	}
	if ck.Order != nil && !slices.Equal(ck.Order, order) {
		return fmt.Errorf("order is not the one of epoch %d for seed %d", ck.Epoch+1, cfg.Seed)
	}
	if want, _ := src.MarshalBinary(); string(ck.Shuffle) != string(want) {
		return fmt.Errorf("shuffling RNG state is not the seed's after %d epochs", epochs)
	}
	return nil
}

// checkAugmentRNG: the augmentation RNG is on the seed's stream, no more
// draws from its start than the steps so far can have made (a generous
// bound: 16 draws per pixel and per image for each operation), and at its
// start without augmentation.
func (ck *Checkpoint) checkAugmentRNG(cfg *config.Config, steps, dim int) error {
	var st rand.PCG
	if err := st.UnmarshalBinary(ck.Augment); err != nil {
		return fmt.Errorf("augmentation RNG state: %w", err)
	}
	updates := new(big.Int).Mul(big.NewInt(int64(ck.Epoch)), big.NewInt(int64(steps)))
	updates.Add(updates, big.NewInt(int64(ck.Step)))
	bound := new(big.Int).Mul(updates, big.NewInt(int64(cfg.Batch)*int64(len(cfg.Augment))))
	bound.Mul(bound, big.NewInt(16*(int64(dim)+1)))
	start, _ := rand.NewPCG(cfg.Seed, config.StreamAugment).MarshalBinary()
	if d := pcgDistance(start, ck.Augment); d.Cmp(bound) > 0 {
		return fmt.Errorf("augmentation RNG state is not reachable from the seed in %d steps", updates)
	}
	return nil
}

// pcgDistance returns how many steps math/rand/v2's PCG takes from state a
// to state b (MarshalBinary forms): its 128-bit LCG has full period, and
// the distance is found bit by bit (O'Neill's pcg-cpp distance()).
func pcgDistance(a, b []byte) *big.Int {
	mod := new(big.Int).Lsh(big.NewInt(1), 128)
	mask := new(big.Int).Sub(mod, big.NewInt(1))
	cur := new(big.Int).SetBytes(a[4:])
	want := new(big.Int).SetBytes(b[4:])
	mul := u128(2549297995355413924, 4865540595714422341) // the constants of pcg.go
	inc := u128(6364136223846793005, 1442695040888963407)
	dist := new(big.Int)
	tmp := new(big.Int)
	for bit := 0; bit < 128 && cur.Cmp(want) != 0; bit++ {
		if cur.Bit(bit) != want.Bit(bit) {
			cur.Mul(cur, mul).Add(cur, inc).And(cur, mask)
			dist.SetBit(dist, bit, 1)
		}
		// inc = (mul+1)·inc, mul = mul²: the LCG of two steps of this one.
		tmp.Add(mul, big.NewInt(1))
		inc.Mul(inc, tmp).And(inc, mask)
		mul.Mul(mul, mul).And(mul, mask)
	}
	return dist
}

func u128(hi, lo uint64) *big.Int {
	v := new(big.Int).SetUint64(hi)
	return v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(lo))
}
