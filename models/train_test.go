package models

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// synthetic returns n noisy images per split in which class y brightens
// the pixels j with j mod 10 = y, so that each class has its own template.
func synthetic(seed uint64, n int) *data.Splits {
	rng := rand.New(rand.NewPCG(seed, 7))
	mk := func(name string) *data.Dataset {
		ds := &data.Dataset{Name: name, Pixels: make([]uint8, n*data.ImageSize), Labels: make([]uint8, n), Classes: data.DefaultClasses()}
		for i := 0; i < n; i++ {
			y := rng.IntN(data.NumClasses)
			ds.Labels[i] = uint8(y)
			for j := 0; j < data.ImageSize; j++ {
				v := 100 + 50*rng.NormFloat64()
				if j%data.NumClasses == y {
					v += 30
				}
				ds.Pixels[i*data.ImageSize+j] = uint8(math.Max(0, math.Min(255, v)))
			}
		}
		return ds
	}
	return &data.Splits{Train: mk("train"), Val: mk("val"), Test: mk("test")}
}

func smallConfig() config.Config {
	c := config.DefaultConfig()
	c.Epochs, c.Batch, c.Eta = 3, 20, 0.01
	return c
}

func mustTrain[T graph.Float](t *testing.T, cfg config.Config, d *Prepared[T]) *Trained[T] {
	t.Helper()
	tr, err := Train(context.Background(), cfg, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTrainLearns(t *testing.T) {
	d := Prepare[float64](synthetic(1, 200))
	for _, loss := range []string{"cross", "svm"} {
		cfg := smallConfig()
		cfg.Loss = loss
		cfg.Epochs = 10
		r := mustTrain(t, cfg, d).Result
		for _, s := range runfiles.SplitNames {
			sr := r.Splits[s]
			if sr.Size != 200 {
				t.Errorf("%s %s: size %d", loss, s, sr.Size)
			}
			if !(sr.AccuracyTrained > 0.6 && sr.AccuracyTrained > sr.AccuracyUntrained+0.3) {
				t.Errorf("%s %s: accuracy %.3f untrained → %.3f trained; the model did not learn", loss, s, sr.AccuracyUntrained, sr.AccuracyTrained)
			}
			if !(sr.CostTrained < sr.CostUntrained) {
				t.Errorf("%s %s: cost %.3f → %.3f did not fall", loss, s, sr.CostUntrained, sr.CostTrained)
			}
		}
		if len(r.Epochs) != 10 || len(r.EpochSeconds) != 10 {
			t.Errorf("%s: %d epoch metrics, %d epoch times, want 10", loss, len(r.Epochs), len(r.EpochSeconds))
		}
		last := r.Epochs[9]
		if last.TrainCost != r.Splits["train"].CostTrained || last.ValAcc != r.Splits["val"].AccuracyTrained {
			t.Errorf("%s: last epoch metrics %+v disagree with the result %+v", loss, last, r.Splits)
		}
	}
}

// TestTrainDeterministic: the same seed gives bit-identical parameters and
// metrics; another seed does not.
func TestTrainDeterministic(t *testing.T) {
	t.Run("float64", func(t *testing.T) { checkDeterministic[float64](t) })
	t.Run("float32", func(t *testing.T) { checkDeterministic[float32](t) })
}

func checkDeterministic[T graph.Float](t *testing.T) {
	d := Prepare[T](synthetic(2, 100))
	cfg := smallConfig()
	cfg.Shuffle, cfg.Dtype = true, graph.Dtype[T]().String()
	a, b := mustTrain(t, cfg, d), mustTrain(t, cfg, d)
	if !reflect.DeepEqual(a.Params, b.Params) {
		t.Error("same seed, different parameters")
	}
	strip := func(e []runfiles.EpochMetrics) []runfiles.EpochMetrics {
		out := append([]runfiles.EpochMetrics(nil), e...)
		for i := range out {
			out[i].Seconds = 0
		}
		return out
	}
	if !reflect.DeepEqual(strip(a.Result.Epochs), strip(b.Result.Epochs)) || !reflect.DeepEqual(a.Result.Splits, b.Result.Splits) {
		t.Error("same seed, different metrics")
	}
	cfg.Seed = 99
	if c := mustTrain(t, cfg, d); reflect.DeepEqual(a.Params, c.Params) {
		t.Error("another seed, same parameters")
	}
}

// TestShuffleKeepsInit: shuffling draws from its own stream, so the
// untrained figures are the same with and without it, the trained differ.
func TestShuffleKeepsInit(t *testing.T) {
	d := Prepare[float64](synthetic(3, 100))
	cfg := smallConfig()
	a := mustTrain(t, cfg, d)
	cfg.Shuffle = true
	b := mustTrain(t, cfg, d)
	for _, s := range runfiles.SplitNames {
		if a.Result.Splits[s].CostUntrained != b.Result.Splits[s].CostUntrained {
			t.Errorf("%s: untrained cost %v vs %v", s, a.Result.Splits[s].CostUntrained, b.Result.Splits[s].CostUntrained)
		}
	}
	if reflect.DeepEqual(a.Params, b.Params) {
		t.Error("shuffling changed nothing")
	}
}

func TestDecaySchedule(t *testing.T) {
	d := Prepare[float64](synthetic(4, 60))
	cfg := smallConfig()
	cfg.Epochs, cfg.Decay, cfg.Eta = 4, 0.5, 0.08
	r := mustTrain(t, cfg, d).Result
	for i, m := range r.Epochs {
		if want := 0.08 * math.Pow(0.5, float64(i)); math.Abs(m.Eta-want) > 1e-15 {
			t.Errorf("epoch %d: eta %v, want %v", m.Epoch, m.Eta, want)
		}
	}
}

// TestStepIsGradientDescent: one epoch of one batch equals one hand-made
// step W − η∇W, b − η∇b with the analytic gradient (∇W including 2λW), in
// both dtypes. The tolerances are a few times the differences measured
// (float64 7e-17, float32 3e-8, on parameters near 0.01); dropping 2λW
// moves W by 2ηλ|W|, up to 8e-4 here, and λW for 2λW by half that.
func TestStepIsGradientDescent(t *testing.T) {
	t.Run("float64", func(t *testing.T) { checkStep[float64](t, 1e-14) })
	t.Run("float32", func(t *testing.T) { checkStep[float32](t, 1e-7) })
}

func checkStep[T graph.Float](t *testing.T, tol float64) {
	d := Prepare[T](synthetic(5, 30))
	for _, loss := range []string{"cross", "svm"} {
		cfg := smallConfig()
		cfg.Loss, cfg.Epochs, cfg.Batch, cfg.Eta, cfg.Lambda = loss, 1, 30, 0.05, 0.2
		cfg.Dtype = graph.Dtype[T]().String()
		got := linearOf(t, mustTrain(t, cfg, d).Params)

		p := graph.NewParams[T](10, data.ImageSize)
		p.InitGaussian(rand.New(rand.NewPCG(cfg.Seed, config.StreamInit)), cfg.InitStd)
		if worst := stepError(t, p, got, graph.Batch[T]{X: d.Train.X, Labels: d.Train.Labels}, loss, cfg.Lambda, cfg.Eta); worst > tol {
			t.Errorf("%s: parameters differ from one analytic step by %.3g > %.0e", loss, worst, tol)
		} else {
			t.Logf("%s: largest difference from one analytic step %.3g (tolerance %.0e)", loss, worst, tol)
		}
	}
}

// stepError returns the largest difference between the parameters got and
// one gradient step from p on the batch b with AnalyticGrad, W − η∇W and
// b − η∇b, computed in float64.
func stepError[T graph.Float](t *testing.T, p, got *graph.Params[T], b graph.Batch[T], loss string, lambda, eta float64) float64 {
	t.Helper()
	dW, dB := make([]T, len(p.W)), make([]T, len(p.B))
	if _, err := graph.AnalyticGrad(dW, dB, p, b, graph.Loss(loss), lambda); err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i := range p.W {
		worst = math.Max(worst, math.Abs(float64(p.W[i])-eta*float64(dW[i])-float64(got.W[i])))
	}
	for i := range p.B {
		worst = math.Max(worst, math.Abs(float64(p.B[i])-eta*float64(dB[i])-float64(got.B[i])))
	}
	return worst
}

func TestTrainDiverges(t *testing.T) {
	d := Prepare[float32](synthetic(6, 40))
	cfg := smallConfig()
	cfg.Dtype, cfg.Eta, cfg.Lambda, cfg.Loss = "float32", 1e38, 1e30, "cross"
	_, err := Train(context.Background(), cfg, d, Options{})
	if err == nil || !strings.Contains(err.Error(), "diverged") || !strings.Contains(err.Error(), "epoch 1") {
		t.Fatalf("err = %v, want a divergence error naming the epoch", err)
	}
}

func TestTrainCancelled(t *testing.T) {
	d := Prepare[float64](synthetic(7, 40))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Train(ctx, smallConfig(), d, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTrainBatchTooLarge(t *testing.T) {
	d := Prepare[float64](synthetic(8, 40))
	cfg := smallConfig()
	cfg.Batch = 41
	if _, err := Train(context.Background(), cfg, d, Options{}); err == nil || !strings.Contains(err.Error(), "batch 41") {
		t.Fatalf("err = %v", err)
	}
}

func TestCountCorrect(t *testing.T) {
	scores := []float64{
		1, 3, 2, // arg max 1
		5, 5, 0, // tie: the first, 0
		0, 0, 1, // 2
	}
	if got := countCorrect(scores, []uint8{1, 1, 2}, 3); got != 2 {
		t.Errorf("countCorrect = %d, want 2", got)
	}
}

// linearOf returns the linear classifier's view of p.
func linearOf[T graph.Float](t *testing.T, p *graph.MLPParams[T]) *graph.Params[T] {
	t.Helper()
	lp, err := graph.LinearView(p)
	if err != nil {
		t.Fatal(err)
	}
	return lp
}
