package sweep

import (
	"context"
	"fmt"

	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/rundir"
	"github.com/gtrain/gtrain/models/runfiles"
)

// DefaultStack is the default largest number of runs trained as one
// stacked graph (gtrain sweep run --stack): on this project's 2-core
// machines a configuration-epoch costs least from about 16 members on
// (docs/stacks.md has the measurement).
const DefaultStack = 16

// StackFunc trains runs, which share every mini-batch, as one stack: cfgs
// are their configurations with the device they were given, dirs their
// run directories. It writes each run directory as RunFunc does and
// returns each run's result and error. It must return when ctx is
// cancelled. TrainStack is the one that trains; tests give others.
type StackFunc func(ctx context.Context, runs []*Run, cfgs []config.Config, dirs []string) ([]*runfiles.Result, []error)

// TrainStack returns the StackFunc that trains with rundir.ContinueStack,
// with its data from cache (nil: each stack reads its own) and the
// process's memory limit held by mem (nil: none).
func TrainStack(cache *rundir.DataCache, mem *rundir.MemoryBudget) StackFunc {
	return func(ctx context.Context, runs []*Run, cfgs []config.Config, dirs []string) ([]*runfiles.Result, []error) {
		ms := make([]rundir.Member, len(runs))
		for i := range runs {
			ms[i] = rundir.Member{Config: cfgs[i], Dir: dirs[i]}
		}
		outs, errs := rundir.ContinueStack(ctx, ms, rundir.Options{Data: cache, Memory: mem})
		res := make([]*runfiles.Result, len(runs))
		for i, o := range outs {
			if o != nil {
				res[i] = o.Result
			}
		}
		return res, errs
	}
}

// Stacks groups the runs idx (indices into runs, in plan order) into
// stacks of at most n runs that can share every mini-batch and one
// architecture (models.StackKey; the device is the worker's; a run that is
// not models.Stackable is a stack of its own) and train for the same
// number of epochs: per group of such runs, as few stacks as n allows, of
// sizes that differ by one at most, in plan order. n ≤ 1 gives each run
// its own stack. (A stack trains members of any lengths, but a long member
// of a short stack would train its first epochs at the whole stack's pace
// and the rest alone: the report's 500-epoch run would finish later than
// alone.)
func Stacks(runs []Run, idx []int, n int) [][]int { return StacksFor(runs, idx, n, 1) }

// minShare is the fewest runs a stack is cut to so that more workers get one:
// below it a stack saves little over its runs alone.
const minShare = 4

// StacksFor is Stacks for workers that train stacks at once: a group is
// cut into at least as many stacks as there are workers while each keeps
// minShare runs, so that every worker has a stack (each on its share of
// the cores, graph.BLASOptions.Threads) rather than one worker's stack
// splitting its products over all of them.
func StacksFor(runs []Run, idx []int, n, workers int) [][]int {
	if n <= 1 {
		out := make([][]int, len(idx))
		for i, j := range idx {
			out[i] = []int{j}
		}
		return out
	}
	groups := map[string][]int{}
	var keys []string
	for _, i := range idx {
		cfg := runs[i].Config
		stackable := models.Stackable(&cfg) // on its device's kind (the workers')
		cfg.Device = ""
		k := fmt.Sprintf("%s epochs=%d cycles=%d/%d", models.StackKey(&cfg), cfg.Epochs, cfg.Cycles, cfg.CycleSteps)
		if !stackable {
			k = fmt.Sprintf("alone %d", i) // a group of its own
		}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	var out [][]int
	for _, k := range keys {
		g := groups[k]
		parts := max((len(g)+n-1)/n, min(workers, len(g)/minShare))
		for p := 0; p < parts; p++ {
			from, to := p*len(g)/parts, (p+1)*len(g)/parts
			out = append(out, g[from:to])
		}
	}
	return out
}

// RunStack trains the runs rs into their directories under out on device
// as one stack, with what RunOne does for each (locks, markers, failed
// files; a run done already returns its stored result): rs[i]'s outcome
// is res[i], done[i], errs[i].
func RunStack(ctx context.Context, out string, rs []*Run, device string, fn StackFunc, takeOver bool) (res []*runfiles.Result, done []bool, errs []error) {
	res, done, errs = make([]*runfiles.Result, len(rs)), make([]bool, len(rs)), make([]error, len(rs))
	var claims []*claimed
	var at []int
	for i, r := range rs {
		c, rr, d, err := begin(out, r, device, takeOver)
		if c == nil {
			res[i], done[i], errs[i] = rr, d, err
			continue
		}
		claims, at = append(claims, c), append(at, i)
	}
	if len(claims) == 0 {
		return
	}
	runs, cfgs, dirs := make([]*Run, len(claims)), make([]config.Config, len(claims)), make([]string, len(claims))
	for j, c := range claims {
		runs[j], cfgs[j], dirs[j] = c.r, c.cfg, c.dir
	}
	got, gotErrs := fn(ctx, runs, cfgs, dirs)
	for j, c := range claims {
		i := at[j]
		if err := c.end(ctx, gotErrs[j]); err != nil {
			errs[i] = err
		} else {
			res[i] = got[j]
		}
		c.release()
	}
	return
}

// Plural writes n and noun, with an s unless n is 1: "1 stack", "3 stacks".
func Plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
