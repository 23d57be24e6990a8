package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/rundir"
	"github.com/gtrain/gtrain/models/runfiles"
)

func TestStacks(t *testing.T) {
	// Six groups of five runs that share mini-batches and their number of
	// epochs (seed × (batch, epochs)).
	p, err := Parse([]byte(`name: s
grid: {eta: [0.01, 0.02, 0.03, 0.04, 0.05], seed: [1, 2]}
runs:
  - {batch: 50}
  - {batch: 20, loss: svm}
  - {batch: 50, epochs: 7}
`), "s.yaml", Options{Base: config.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, len(p.Runs))
	for i := range all {
		all[i] = i
	}
	for _, c := range []struct {
		n    int
		want []int // stack sizes
	}{
		{1, slices.Repeat([]int{1}, 30)},
		{16, slices.Repeat([]int{5}, 6)},
		{5, slices.Repeat([]int{5}, 6)},
		{3, slices.Repeat([]int{2, 3}, 6)},
		{2, slices.Repeat([]int{1, 2, 2}, 6)},
	} {
		stacks := Stacks(p.Runs, all, c.n)
		var sizes []int
		seen := map[int]bool{}
		for _, s := range stacks {
			sizes = append(sizes, len(s))
			key := ""
			for j, i := range s {
				cfg := p.Runs[i].Config
				cfg.Device = ""
				if k := fmt.Sprint(models.StackKey(&cfg), cfg.Epochs); j == 0 {
					key = k
				} else if k != key {
					t.Errorf("n=%d: stack %v mixes runs that do not share mini-batches or epochs", c.n, s)
				}
				if j > 0 && i <= s[j-1] || seen[i] {
					t.Errorf("n=%d: stack %v out of plan order or a run twice", c.n, s)
				}
				seen[i] = true
			}
		}
		if len(seen) != len(p.Runs) {
			t.Errorf("n=%d: %d of %d runs in stacks", c.n, len(seen), len(p.Runs))
		}
		if !reflect.DeepEqual(sizes, c.want) {
			t.Errorf("n=%d: stack sizes %v, want %v", c.n, sizes, c.want)
		}
	}
}

// noisyData is a cache of 60 random images per split with random labels,
// whatever the data section.
func noisyData() *rundir.DataCache {
	return rundir.NewDataCache(func(config.DataConfig) (*data.Splits, error) {
		rng := rand.New(rand.NewPCG(2, 3))
		mk := func() *data.Dataset {
			ds := &data.Dataset{Pixels: make([]uint8, 60*data.ImageSize), Labels: make([]uint8, 60), Classes: data.DefaultClasses()}
			for i := range ds.Pixels {
				ds.Pixels[i] = uint8(rng.IntN(256))
			}
			for i := range ds.Labels {
				ds.Labels[i] = uint8(rng.IntN(10))
			}
			return ds
		}
		return &data.Splits{Train: mk(), Val: mk(), Test: mk()}, nil
	})
}

// stackSweep is 11 runs: a stack of 10 in float64 (both losses, λ and
// η, early stopping, one that diverges) and one of 5 epochs in float32.
const stackSweep = `name: st
epochs: 3
batch: 10
shuffle: true
data: {dir: noisy}
runs:
  - grid: {loss: [cross, svm], lambda: [0, 0.1], eta: [0.01, 0.05]}
  - {loss: svm, early_stop: 1, eta: 0.2}
  - {loss: cross, epochs: 5, dtype: float32}
  - {loss: svm, eta: 1e30}
`

func stackPlan(t *testing.T) *Plan {
	p, err := Parse([]byte(stackSweep), "st.yaml", Options{Base: config.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStackedSweepAsAlone runs a sweep stacked (two workers: the 10 runs
// that share mini-batches in two stacks of 5) and with --stack 1: every
// run directory holds the same model.json, and the same result.json and
// metrics.csv less their timings; the diverging runs fail alike.
func TestStackedSweepAsAlone(t *testing.T) {
	p := stackPlan(t)
	stacked, alone := t.TempDir(), t.TempDir()
	var log bytes.Buffer
	sum, err := (&Runner{Out: stacked, Stack: 16, Workers: 2, Cache: noisyData(), Log: &log}).Execute(context.Background(), p)
	if sum == nil || sum.Failed != 1 || sum.Done != 10 {
		t.Fatalf("stacked: %v %+v\n%s", err, sum, log.String())
	}
	if !strings.Contains(log.String(), "as 3 stacks of up to 16") || !strings.Contains(log.String(), "(stack of 5)") {
		t.Errorf("log:\n%s", log.String())
	}
	if sum, _ := (&Runner{Out: alone, Stack: 1, Cache: noisyData()}).Execute(context.Background(), p); sum.Failed != 1 || sum.Done != 10 {
		t.Fatalf("alone: %+v", sum)
	}
	sameRunDirs(t, p, stacked, alone)
}

// sameRunDirs compares the run directories of two sweeps of plan p.
func sameRunDirs(t *testing.T, p *Plan, a, b string) {
	t.Helper()
	for i := range p.Runs {
		r := &p.Runs[i]
		da, db := RunDir(a, r), RunDir(b, r)
		fa, _ := os.ReadFile(filepath.Join(da, FailedFile))
		fb, _ := os.ReadFile(filepath.Join(db, FailedFile))
		if ea, eb := headLine(fa), headLine(fb); ea != eb {
			t.Errorf("run %d: failed %q vs %q", i, ea, eb)
		}
		if len(fa) > 0 {
			continue
		}
		ma, err := os.ReadFile(filepath.Join(da, runfiles.ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		mb, _ := os.ReadFile(filepath.Join(db, runfiles.ModelFile))
		if !bytes.Equal(ma, mb) {
			t.Errorf("run %d (%s): model.json differs", i, r.Label())
		}
		if ra, rb := untimedResult(t, da), untimedResult(t, db); ra != rb {
			t.Errorf("run %d: result.json differs:\n%s\n%s", i, ra, rb)
		}
	}
}

func headLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

func untimedResult(t *testing.T, dir string) string {
	res, err := runfiles.ReadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	res.TotalSeconds, res.EpochSeconds, res.Device = 0, nil, ""
	for i := range res.Epochs {
		res.Epochs[i].Seconds = 0
	}
	b, _ := json.Marshal(res)
	return string(b)
}

// TestStackedSweepResume interrupts a stacked sweep after a few epochs and
// runs it again: every interrupted run is continued from its checkpoint
// exactly once, and the run directories are those of an uninterrupted
// sweep.
func TestStackedSweepResume(t *testing.T) {
	p := stackPlan(t)
	whole, cut := t.TempDir(), t.TempDir()
	if sum, _ := (&Runner{Out: whole, Stack: 16, Cache: noisyData()}).Execute(context.Background(), p); sum.Done != 10 {
		t.Fatalf("uninterrupted: %+v", sum)
	}
	var mu sync.Mutex
	found := map[string][]rundir.State{}
	stackFn := func(ctx context.Context, cancelAfter int, cancel func()) StackFunc {
		epochs := 0
		return func(ctx context.Context, runs []*Run, cfgs []config.Config, dirs []string) ([]*runfiles.Result, []error) {
			ms := make([]rundir.Member, len(runs))
			for i := range runs {
				ms[i] = rundir.Member{Config: cfgs[i], Dir: dirs[i]}
			}
			opt := rundir.Options{Data: noisyData(), OnFound: func(f *rundir.Found) {
				mu.Lock()
				found[f.Dir] = append(found[f.Dir], f.State)
				mu.Unlock()
			}, OnEpoch: func(runfiles.EpochMetrics) {
				if epochs++; epochs == cancelAfter {
					cancel()
				}
			}}
			outs, errs := rundir.ContinueStack(ctx, ms, opt)
			res := make([]*runfiles.Result, len(outs))
			for i, o := range outs {
				if o != nil {
					res[i] = o.Result
				}
			}
			return res, errs
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	// One worker: the stack of 10 is cut at the end of its first epoch
	// (after 6 of its members' epoch hooks); the float32 run does not
	// start.
	sum, _ := (&Runner{Out: cut, Stack: 16, Cache: noisyData(), RunStack: stackFn(ctx, 6, cancel)}).Execute(ctx, p)
	if sum.Interrupted == 0 {
		t.Fatalf("nothing interrupted: %+v", sum)
	}
	sum, err := (&Runner{Out: cut, Stack: 16, Cache: noisyData(), RunStack: stackFn(context.Background(), -1, func() {})}).Execute(context.Background(), p)
	if err == nil || sum.Done != 10 || sum.Failed != 1 {
		t.Fatalf("rerun: %v %+v", err, sum)
	}
	resumed := 0
	for dir, states := range found {
		n := 0
		for _, s := range states {
			if s == rundir.Interrupted {
				n++
			}
		}
		if n > 1 {
			t.Errorf("%s continued %d times: %v", dir, n, states)
		}
		resumed += n
	}
	if resumed == 0 {
		t.Error("no run was continued from its checkpoint")
	}
	sameRunDirs(t, p, whole, cut)
}

// TestStacksFor: a group is cut so that every worker has a stack, while
// each keeps minShare runs.
func TestStacksFor(t *testing.T) {
	p := gridPlan(t, 16, Options{}) // 16 runs that share every mini-batch
	all := make([]int, len(p.Runs))
	for i := range all {
		all[i] = i
	}
	for _, c := range []struct {
		n, workers int
		want       []int
	}{
		{16, 1, []int{16}},
		{16, 2, []int{8, 8}},
		{16, 3, []int{5, 5, 6}},
		{16, 8, []int{4, 4, 4, 4}},
		{4, 2, []int{4, 4, 4, 4}},
		{1, 2, slices.Repeat([]int{1}, 16)},
	} {
		var sizes []int
		for _, s := range StacksFor(p.Runs, all, c.n, c.workers) {
			sizes = append(sizes, len(s))
		}
		if !reflect.DeepEqual(sizes, c.want) {
			t.Errorf("n=%d workers=%d: %v, want %v", c.n, c.workers, sizes, c.want)
		}
	}
}

// netSweep is 9 runs: 4 two-layer networks (λ × η ranges), 4 three-layer
// BN networks and a linear classifier, all sharing the mini-batches: three
// stacks, one per architecture.
const netSweep = `name: nets
batch: 10
shuffle: true
schedule: cyclic
cycle_steps: 3
cycles: 2
epochs: 0
data: {dir: noisy}
runs:
  - grid: {lambda: [0, 0.01], eta_max: [0.05, 0.1]}
    hidden: [10]
    eta_min: 0.001
  - grid: {lambda: [0.001, 0.1], eta_max: [0.02, 0.2]}
    hidden: [10, 10]
    batch_norm: true
    eta_min: 0.0001
  - {lambda: 0.1, eta_min: 0.001, eta_max: 0.01}
`

// TestStackedNetSweepAsAlone runs a sweep of networks stacked and with
// --stack 1: the networks of one architecture train as one stack and give
// every run directory the same model.json bytes and result.json (less
// timings) as alone.
func TestStackedNetSweepAsAlone(t *testing.T) {
	p, err := Parse([]byte(netSweep), "nets.yaml", Options{Base: config.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Runs) != 9 {
		t.Fatalf("%d runs, want 9", len(p.Runs))
	}
	stacked, alone := t.TempDir(), t.TempDir()
	var log bytes.Buffer
	sum, err := (&Runner{Out: stacked, Stack: 16, Cache: noisyData(), Log: &log}).Execute(context.Background(), p)
	if sum == nil || sum.Done != 9 {
		t.Fatalf("stacked: %v %+v\n%s", err, sum, log.String())
	}
	if !strings.Contains(log.String(), "as 3 stacks of up to 16") || !strings.Contains(log.String(), "(stack of 4)") {
		t.Errorf("log:\n%s", log.String())
	}
	if sum, _ := (&Runner{Out: alone, Stack: 1, Cache: noisyData()}).Execute(context.Background(), p); sum.Done != 9 {
		t.Fatalf("alone: %+v", sum)
	}
	sameRunDirs(t, p, stacked, alone)
}
