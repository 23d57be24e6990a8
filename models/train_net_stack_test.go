package models

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

// netStackCase is a stack of networks of one architecture whose members
// differ in loss, λ, cyclic rates (different η ranges), length (cycles or
// epochs), schedule, initialization and early stopping; member 5 diverges
// (η = 1e30).
func netStackCase(hidden []int, bn bool) []config.Config {
	base := netConfig(hidden, bn)
	base.Shuffle, base.Seed, base.CycleSteps = true, 5, 10 // 10 steps an epoch at 100 images: a cycle is 2 epochs
	var out []config.Config
	add := func(f func(c *config.Config)) {
		c := base
		f(&c)
		out = append(out, c)
	}
	add(func(c *config.Config) {})
	add(func(c *config.Config) { c.Loss, c.Lambda, c.EtaMin, c.EtaMax = "svm", 0.1, 1e-5, 0.02 })
	add(func(c *config.Config) { c.Lambda, c.EtaMin, c.EtaMax, c.Cycles = 0, 1e-3, 0.1, 1 })
	add(func(c *config.Config) { c.Schedule, c.Cycles, c.Epochs, c.Eta = "exp", 0, 3, 0.02 })
	add(func(c *config.Config) { c.Schedule, c.Cycles, c.Epochs, c.Eta, c.EarlyStop = "exp", 0, 6, 0.3, 1 })
	add(func(c *config.Config) { c.Schedule, c.Cycles, c.Epochs, c.Eta = "exp", 0, 3, 1e30 })
	add(func(c *config.Config) { c.Init, c.Lambda = "xavier", 0.05 })
	return out
}

// TestNetStackTrainsAsAlone trains the members of netStackCase as one
// stack and each alone, and compares everything they give: results (less
// timings), final parameters (running averages included), per-epoch
// metrics, every checkpoint and every step's cost. With first hidden
// layers of 20 and 10 units (multiples of 10, graph.MLPStack) they are
// equal bit for bit, in float64 and float32; with 8 units (where some
// entries of the shared products are summed in another order) the
// accuracies are equal, and every loss and cost is within 1e-12 relative
// (floor 1e-8) and every parameter tensor within 1e-12 of its largest
// entry (measured 3.9e-15) in float64, 1e-5 in float32 (measured up to
// 3.5e-6 on the parameters). The diverging member fails with the
// lone run's error while its stack-mates finish.
func TestNetStackTrainsAsAlone(t *testing.T) {
	splits := synthetic(3, 100)
	for _, c := range []struct {
		name   string
		hidden []int
		bn     bool
		dtype  string
		tol    float64 // 0: bit for bit
	}{
		{"2-layer", []int{20}, false, "float64", 0},
		{"2-layer float32", []int{20}, false, "float32", 0},
		{"3-layer BN", []int{10, 10}, true, "float64", 0},
		{"3-layer BN float32", []int{10, 10}, true, "float32", 0},
		{"3-layer BN width 8", []int{8, 6}, true, "float64", 1e-12},
		{"3-layer BN width 8 float32", []int{8, 6}, true, "float32", 1e-5},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfgs := netStackCase(c.hidden, c.bn)
			for i := range cfgs {
				cfgs[i].Dtype = c.dtype
			}
			if c.dtype == "float32" {
				checkNetStackAsAlone(t, cfgs, Prepare[float32](splits), c.tol)
			} else {
				checkNetStackAsAlone(t, cfgs, Prepare[float64](splits), c.tol)
			}
		})
	}
}

func checkNetStackAsAlone[T graph.Float](t *testing.T, cfgs []config.Config, d *Prepared[T], tol float64) {
	members := make([]StackMember, len(cfgs))
	stacked := make([]*trace, len(cfgs))
	for i := range cfgs {
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
		name := fmt.Sprintf("member %d (%s λ=%g %s η %g…%g)", i, cfg.Loss, cfg.Lambda, cfg.Schedule, cfg.EtaMin, cfg.EtaMax)
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
		if tol == 0 {
			sameBits(t, name, g.Trained, want, stacked[i], alone)
		} else {
			sameWithin(t, name, tol, g.Trained, want, stacked[i], alone)
		}
	}
	if got[5].Err == nil || !strings.Contains(got[5].Err.Error(), "diverged") {
		t.Errorf("the diverging member: %v", got[5].Err)
	}
	if n := len(got[2].Trained.Result.Epochs); n != 2 {
		t.Errorf("the one-cycle member trained %d epochs", n)
	}
	if r := got[4].Trained.Result; r.BestEpoch == 0 || len(r.Epochs) == 6 {
		t.Errorf("the early-stopping member: best epoch %d of %d epochs", r.BestEpoch, len(r.Epochs))
	}
}

// sameWithin fails unless a stacked run's accuracies are its lone run's and
// its losses, costs and parameters within tol relative (floor 1e-8).
func sameWithin[T graph.Float](t *testing.T, name string, tol float64, got, want *Trained[T], gt, wt *trace) {
	t.Helper()
	near := func(what string, x, y float64) {
		t.Helper()
		if math.Abs(x-y) > tol*max(math.Abs(x)+math.Abs(y), 1e-8) {
			t.Errorf("%s: %s %v, alone %v", name, what, x, y)
		}
	}
	for _, s := range runfiles.SplitNames {
		x, y := got.Result.Splits[s], want.Result.Splits[s]
		if x.AccuracyTrained != y.AccuracyTrained || x.AccuracyUntrained != y.AccuracyUntrained {
			t.Errorf("%s: %s accuracy %v, alone %v", name, s, x.AccuracyTrained, y.AccuracyTrained)
		}
		near(s+" loss", x.LossTrained, y.LossTrained)
		near(s+" cost", x.CostTrained, y.CostTrained)
		near(s+" untrained cost", x.CostUntrained, y.CostUntrained)
	}
	if got.Result.BestEpoch != want.Result.BestEpoch || len(gt.epochs) != len(wt.epochs) || len(gt.steps) != len(wt.steps) {
		t.Fatalf("%s: best epoch %d of %d (%d steps), alone %d of %d (%d)", name, got.Result.BestEpoch, len(gt.epochs), len(gt.steps),
			want.Result.BestEpoch, len(wt.epochs), len(wt.steps))
	}
	for j, m := range gt.epochs {
		w := wt.epochs[j]
		if m.TrainAcc != w.TrainAcc || m.ValAcc != w.ValAcc || m.Eta != w.Eta {
			t.Errorf("%s: epoch %d accuracies %v %v η %v, alone %v %v %v", name, j+1, m.TrainAcc, m.ValAcc, m.Eta, w.TrainAcc, w.ValAcc, w.Eta)
		}
		near(fmt.Sprintf("epoch %d train cost", j+1), m.TrainCost, w.TrainCost)
		near(fmt.Sprintf("epoch %d val loss", j+1), m.ValLoss, w.ValLoss)
	}
	for j := range gt.steps {
		near(fmt.Sprintf("step %d cost", j+1), gt.steps[j], wt.steps[j])
	}
	// Parameters relative to their tensor's largest entry: a small entry
	// is the difference of larger updates and keeps their rounding.
	for i, ts := range got.Params.Tensors {
		var scale, diff float64
		for j, v := range ts.Data {
			w := float64(want.Params.Tensors[i].Data[j])
			scale, diff = max(scale, math.Abs(w)), max(diff, math.Abs(float64(v)-w))
		}
		if diff > tol*scale {
			t.Errorf("%s: %s differs from the lone run's by up to %.3g, %.3g of its largest entry", name, ts.Name, diff, diff/scale)
		}
	}
}

// TestNetStackResume interrupts a stack of BN networks mid-epoch, resumes
// it from the members' checkpoints and compares with the uninterrupted
// stack: the same results and parameters, bit for bit.
func TestNetStackResume(t *testing.T) {
	d := Prepare[float64](synthetic(4, 100))
	checkStackResume(t, d, netStackCase([]int{10, 10}, true)[:4], 13, 1, 3) // epoch 2, step 3 (10 steps an epoch)
}

// TestNetStackRefuses: members of different architectures are not a
// stack, and networks do not stack on a device whose engine has no
// network stack (as the CUDA engine).
func TestNetStackRefuses(t *testing.T) {
	d := Prepare[float64](synthetic(4, 60))
	a := netConfig([]int{10}, false)
	for _, f := range []func(c *config.Config){
		func(c *config.Config) { c.Hidden = []int{20} },
		func(c *config.Config) { c.Hidden = []int{10, 10} },
		func(c *config.Config) { c.BatchNorm = true },
		func(c *config.Config) { *c = smallConfig() },
	} {
		b := a
		f(&b)
		_, err := TrainStack(context.Background(), []StackMember{{Config: a}, {Config: b}}, d, engine.Tuning{})
		if err == nil || !strings.Contains(err.Error(), "one architecture") {
			t.Errorf("%s against %s: %v", b.Network(), a.Network(), err)
		}
	}
	if !Stackable(&a) {
		t.Error("a network is not stackable on the CPU")
	}
	var r engine.Registry
	f := CPUFactory()
	f.NetStack = engine.NetStackFactory{}
	r.Register("cpu", f)
	if !r.Stacks("cpu") || r.StacksNetworks("cpu") {
		t.Errorf("a kind without a network stack: Stacks %v, StacksNetworks %v", r.Stacks("cpu"), r.StacksNetworks("cpu"))
	}
	p, err := initialParams[float64](&a, 10, len(d.Train.X)/d.Train.Len())
	if err != nil {
		t.Fatal(err)
	}
	spec := engine.StackSpec{Device: "cpu", Batch: 10, Members: []engine.Member{{Loss: graph.CrossEntropy}}}
	if _, err := engine.NewNetStackFrom(&r, []*graph.MLPParams[float64]{p}, spec, nil); err == nil || !strings.Contains(err.Error(), "train them alone") {
		t.Errorf("a network stack on a kind without one: %v", err)
	}
}
