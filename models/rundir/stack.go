package rundir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

// Member is one run of a stack: its configuration and its run directory.
type Member struct {
	Config config.Config
	Dir    string
}

// ContinueStack trains the members, runs that share every mini-batch
// (models.StackKey), as a sweep's runs (Continue) but as one stacked graph
// (models.TrainStack): each run directory gets exactly the files Continue
// would write. Members resumed from checkpoints are trained in stacks of
// those that stand at the same point; a finished member without its final
// files gets them. opt's hooks are called for each member (OnFound,
// OnStep, OnEpoch) or for each stack (OnStart). It returns each member's
// outcome and error (nil, or as Continue's); the caller holds the members'
// locks.
func ContinueStack(ctx context.Context, members []Member, opt Options) ([]*Outcome, []error) {
	outs, errs := make([]*Outcome, len(members)), make([]error, len(members))
	groups := map[string][]int{} // by checkpoint position
	var keys []string
	for i, m := range members {
		o, err := found(m.Config, m.Dir)
		if err != nil {
			errs[i] = err
			continue
		}
		outs[i] = o
		k := positionKey(o.Checkpoint)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	// A finished member needs only its final evaluation: it joins the
	// first stack that trains.
	if fin, ok := groups["finished"]; ok && len(keys) > 1 {
		delete(groups, "finished")
		keys = slices.DeleteFunc(keys, func(k string) bool { return k == "finished" })
		groups[keys[0]] = append(groups[keys[0]], fin...)
	}
	for _, k := range keys {
		idx := groups[k]
		slices.Sort(idx)
		as, err := graph.ForDtype(members[idx[0]].Config.Dtype, stackAs[float32], stackAs[float64])
		if err == nil {
			err = as(ctx, members, idx, outs, errs, opt)
		}
		if err != nil {
			for _, i := range idx {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
	}
	return outs, errs
}

// found does what Continue does before it trains: it checks cfg, writes
// config.json and reads a checkpoint left by an earlier attempt.
func found(cfg config.Config, dir string) (*Outcome, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := runfiles.WriteConfig(dir, &cfg); err != nil {
		return nil, err
	}
	ck, err := runfiles.ReadCheckpoint(dir, &cfg)
	switch {
	case errors.Is(err, os.ErrNotExist):
		ck = nil
	case err != nil:
		return nil, fmt.Errorf("%w (remove it to train the run from the start)", err)
	}
	o := &Outcome{Found: Found{Dir: dir, State: Fresh, Config: &cfg, Checkpoint: ck}}
	switch {
	case ck != nil && ck.Finished:
		o.State = Unfinished
	case ck != nil:
		o.State = Interrupted
	}
	return o, nil
}

// positionKey names where a checkpoint stands, for grouping stack-mates.
func positionKey(ck *runfiles.Checkpoint) string {
	switch {
	case ck == nil:
		return "fresh"
	case ck.Finished:
		return "finished"
	}
	return fmt.Sprintf("%d/%d/%v/%x/%x", ck.Epoch, ck.Step, ck.Order, ck.Shuffle, ck.Augment)
}

// stackAs trains the members idx, one stack, on their data normalized as
// T, and writes each one's files as trainAs does.
func stackAs[T graph.Float](ctx context.Context, members []Member, idx []int, outs []*Outcome, errs []error, opt Options) error {
	lead := members[idx[0]].Config
	splits, err := opt.splits(lead.Data)
	if err != nil {
		return err
	}
	d, err := prepared[T](&opt, lead, splits)
	if err != nil {
		return err
	}
	if opt.Memory != nil {
		defer opt.Memory.reserve(d, models.MemoryLimit(d), models.StackMemoryLimit(d, len(idx))-models.MemoryLimit(d))()
	}
	sm := make([]models.StackMember, len(idx))
	for j, i := range idx {
		o, dir := outs[i], members[i].Dir
		if opt.OnFound != nil {
			opt.OnFound(&o.Found)
		}
		sm[j] = models.StackMember{Config: *o.Config, Options: models.Options{
			Resume:       o.Checkpoint,
			OnStep:       opt.OnStep,
			OnEpoch:      opt.OnEpoch,
			OnCheckpoint: func(ck *runfiles.Checkpoint) error { return writeCheckpoint(dir, ck) },
		}}
	}
	if opt.OnStart != nil {
		opt.OnStart(&lead, splits)
	}
	res, err := models.TrainStack(ctx, sm, d, engine.Tuning{})
	if err != nil {
		return err
	}
	for j, i := range idx {
		errs[i] = finishRun(outs[i], members[i].Dir, res[j].Trained, res[j].Err, d, nil, opt.OnWarning)
	}
	return nil
}
