package rundir

import (
	"errors"
	"fmt"
	"os"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// ForeignError is the error for a run directory that holds a run of
// another configuration.
type ForeignError struct {
	Dir  string
	Hash string // the hash of the configuration it holds
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("%s holds a run of another configuration (%s)", e.Dir, e.Hash)
}

// InterruptedError is the error for a run directory that holds an
// interrupted run of the configuration: continuing it (Resume) or starting
// over (Options.Force) is the caller's decision.
type InterruptedError struct {
	Dir           string
	Epoch, Epochs int // epochs done, of Epochs
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("%s holds this run, interrupted after epoch %d of %d", e.Dir, e.Epoch, e.Epochs)
}

// UnreadableError is the error for a run directory whose config.json
// (Checkpoint false) or checkpoint (Checkpoint true) cannot be read.
type UnreadableError struct {
	Dir        string
	Checkpoint bool
	Err        error
}

func (e *UnreadableError) Error() string { return e.Dir + ": " + e.Err.Error() }
func (e *UnreadableError) Unwrap() error { return e.Err }

// CompleteError is the error of Resume for a run that is complete.
type CompleteError struct{ Epochs int }

func (e *CompleteError) Error() string {
	return fmt.Sprintf("the run is complete (%d epochs)", e.Epochs)
}

// RefusedCheckpointError is the error for a checkpoint that does not fit
// the configuration and its data; the run directory is left as it was.
type RefusedCheckpointError struct {
	Path string // the checkpoint file
	Err  error
}

func (e *RefusedCheckpointError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *RefusedCheckpointError) Unwrap() error { return e.Err }

// checkDir refuses a directory that holds a run of another configuration,
// or an interrupted run of this one, so that nothing already trained is
// overwritten by mistake (force starts over). For a finished run of cfg it
// returns its result when the final files are all there, and otherwise its
// checkpoint, from which they are written.
func checkDir(dir string, cfg *config.Config, force bool) (*runfiles.Result, *runfiles.Checkpoint, error) {
	old, err := runfiles.ReadConfig(dir)
	if errors.Is(err, os.ErrNotExist) || force {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, &UnreadableError{Dir: dir, Err: err}
	}
	if old.Hash() != cfg.Hash() {
		return nil, nil, &ForeignError{Dir: dir, Hash: old.Hash()}
	}
	ck, err := runfiles.ReadCheckpoint(dir, cfg)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil, nil // stopped before its first checkpoint: nothing to keep
	case err != nil:
		return nil, nil, &UnreadableError{Dir: dir, Checkpoint: true, Err: err}
	case !ck.Finished:
		return nil, nil, &InterruptedError{Dir: dir, Epoch: ck.Epoch, Epochs: cfg.Epochs}
	}
	if res, missing, _ := runfiles.FinishedRun(dir, cfg); len(missing) == 0 {
		return res, nil, nil
	}
	return nil, ck, nil
}
