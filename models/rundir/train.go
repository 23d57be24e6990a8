package rundir

import (
	"context"
	"fmt"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// Options are the caller's choices and hooks for a training into a run
// directory. The caller holds the directory's lock (AcquireLock)
// for the whole call.
type Options struct {
	// Force trains cfg from the start over whatever the directory holds.
	Force bool
	// Data supplies the data: each dataset read and normalized once for
	// many runs. Nil: the run reads its own (models.LoadSplits).
	Data *DataCache
	// Memory, when set, holds the process's soft memory limit near what
	// the trainings in progress need (models.MemoryLimit and
	// StackMemoryLimit) while this one trains: a process without its own
	// GOMEMLIMIT keeps its peak RSS low. Concurrent trainings share one.
	Memory *MemoryBudget

	// OnFound is told what the directory held, before the data are read.
	OnFound func(*Found)
	// OnStart is called when the data are read and config.json is
	// written, just before the training starts.
	OnStart func(cfg *config.Config, splits *data.Splits)
	// OnStep and OnEpoch are the trainer's progress hooks (models.Options).
	OnStep  func(epoch, step, steps int, cost float64)
	OnEpoch func(runfiles.EpochMetrics)
	// OnWarning receives a problem that does not change the outcome: the
	// pictures of a run that failed anyway.
	OnWarning func(error)
}

// State is what a run directory held for the configuration.
type State int

const (
	Fresh       State = iota // nothing of the configuration: trained from the start
	Interrupted              // an interrupted run: continued from its checkpoint
	Unfinished               // trained to the end without its final files: written from the checkpoint
	Complete                 // finished with its final files: nothing trained
)

// Found is what a run directory held.
type Found struct {
	Dir        string
	State      State
	Config     *config.Config
	Checkpoint *runfiles.Checkpoint // Interrupted, Unfinished
}

// Outcome is the result of a training into a run directory.
type Outcome struct {
	Found
	// Result is the run's result: the stored one when Complete, the
	// partial one of an interrupted training (with its error), or nil
	// when the training did not start or its files could not be written.
	Result *runfiles.Result
}

// Train trains cfg into dir, as 'gtrain train --out dir' does. A
// directory that holds a run of another configuration (*ForeignError), an
// interrupted run (*InterruptedError) or an unreadable one
// (*UnreadableError) is refused unless opt.Force; a complete run is
// returned as it is; a finished one without its final files gets them
// from its checkpoint.
func Train(ctx context.Context, cfg config.Config, dir string, opt Options) (*Outcome, error) {
	res, ck, err := checkDir(dir, &cfg, opt.Force)
	if err != nil {
		return nil, err
	}
	o := &Outcome{Found: Found{Dir: dir, State: Fresh, Config: &cfg, Checkpoint: ck}}
	switch {
	case res != nil:
		o.State, o.Result = Complete, res
		if opt.OnFound != nil {
			opt.OnFound(&o.Found)
		}
		return o, nil
	case ck != nil:
		o.State = Unfinished
	}
	return o, train(ctx, o, opt, strict)
}

// Resume continues the interrupted run in dir from its checkpoint, with
// its own configuration, as 'gtrain train --resume dir' does; a finished
// run without its final files gets them. A complete run is a
// *CompleteError.
func Resume(ctx context.Context, dir string, opt Options) (*Outcome, error) {
	cfg, err := runfiles.ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", runfiles.ConfigFile, err)
	}
	ck, err := runfiles.ReadCheckpoint(dir, cfg)
	if err != nil {
		return nil, err
	}
	o := &Outcome{Found: Found{Dir: dir, State: Interrupted, Config: cfg, Checkpoint: ck}}
	_, missing, _ := runfiles.FinishedRun(dir, cfg)
	switch {
	case ck.Finished && len(missing) == 0:
		return nil, &CompleteError{Epochs: ck.Epoch}
	case ck.Finished:
		// It failed while writing its final files (a full disk): they
		// are written from the checkpoint, as the run would have.
		o.State = Unfinished
	}
	return o, train(ctx, o, opt, strict)
}

// Continue trains cfg into dir as a sweep's run: config.json is written
// first; a checkpoint of cfg left by an interrupted attempt is continued,
// and a finished one whose final files are missing (a full disk) gets
// them. A checkpoint that cannot be trusted fails the run rather than
// being trained over: removing it is the user's decision. opt.Force is
// not used.
func Continue(ctx context.Context, cfg config.Config, dir string, opt Options) (*Outcome, error) {
	o, err := found(cfg, dir)
	if err != nil {
		return nil, err
	}
	return o, train(ctx, o, opt, sweepRun)
}
