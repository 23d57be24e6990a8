package rundir

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/report"
	"github.com/gtrain/gtrain/models/runfiles"
)

// kind is the flavour of a training: strict ('gtrain train', --resume)
// checks the data and the checkpoint before it writes config.json, and
// writes the augmentation preview of a fresh run; sweepRun (Continue) has
// written config.json already and leaves those checks to the trainer.
type kind int

const (
	strict kind = iota
	sweepRun
)

// PicturesError is a failure to write a run's pictures after its other
// files were written; the Outcome holds the run's result.
type PicturesError struct{ Err error }

func (e *PicturesError) Error() string { return "pictures: " + e.Err.Error() }
func (e *PicturesError) Unwrap() error { return e.Err }

// PreviewError is a failure to write the augmentation preview
// (augment.png) of a run that wrote everything else; the Outcome holds
// the run's result.
type PreviewError struct {
	Dir string
	Err error
}

func (e *PreviewError) Error() string {
	return fmt.Sprintf("augmentation preview: %v (the run's other files are in %s)", e.Err, e.Dir)
}
func (e *PreviewError) Unwrap() error { return e.Err }

func train(ctx context.Context, o *Outcome, opt Options, k kind) error {
	if opt.OnFound != nil {
		opt.OnFound(&o.Found)
	}
	as, err := graph.ForDtype(o.Config.Dtype, trainAs[float32], trainAs[float64])
	if err != nil {
		return err
	}
	return as(ctx, o, opt, k)
}

// splits returns the raw splits of dc, from the cache when there is one.
func (opt *Options) splits(dc config.DataConfig) (*data.Splits, error) {
	if opt.Data != nil {
		return opt.Data.Splits(dc)
	}
	return models.LoadSplits(dc)
}

// prepared returns cfg's data normalized as T, from the cache when there
// is one.
func prepared[T graph.Float](opt *Options, cfg config.Config, splits *data.Splits) (*models.Prepared[T], error) {
	if opt.Data != nil {
		return Prepared[T](opt.Data, cfg)
	}
	return models.Prepare[T](splits), nil
}

// trainAs trains o.Config on its data normalized as T into o.Dir: after
// every epoch the metrics so far and the checkpoint are on disk (an
// interrupted or crashed run keeps what it measured); at the end the
// metrics, model, result and pictures. An interrupted run sets its
// partial result (also written, marked partial) with the error; a run
// whose pictures could not be written sets its result with a
// *PicturesError.
func trainAs[T graph.Float](ctx context.Context, o *Outcome, opt Options, k kind) error {
	cfg, dir, ck := *o.Config, o.Dir, o.Checkpoint
	splits, err := opt.splits(cfg.Data)
	if err != nil {
		return err
	}
	var previewErr error
	if k == strict {
		// Checked before anything is written: a run that cannot start
		// leaves no run directory behind.
		if cfg.Batch > splits.Train.Len() {
			return fmt.Errorf("batch %d: larger than the %d training images", cfg.Batch, splits.Train.Len())
		}
		if _, err := cfg.EpochsFor(splits.Train.Len() / cfg.Batch); err != nil {
			return err
		}
		// So is the checkpoint against the data: a refused resume leaves
		// the run directory as it was.
		if ck != nil {
			if err := ck.Check(&cfg, runfiles.ShapeOf(splits)); err != nil {
				return &RefusedCheckpointError{Path: filepath.Join(dir, runfiles.CheckpointFile), Err: err}
			}
		}
		if err := runfiles.WriteConfig(dir, &cfg); err != nil {
			return err
		}
		if len(cfg.Augment) > 0 && ck == nil {
			previewErr = writeAugmentGrid(dir, &cfg, splits.Train)
		}
	}
	if opt.OnStart != nil {
		opt.OnStart(&cfg, splits)
	}
	d, err := prepared[T](&opt, cfg, splits)
	if err != nil {
		return err
	}
	if opt.Memory != nil {
		// Keeps the peak RSS of a run near the data's own size: without a
		// limit the collector lets the steps' garbage double the heap.
		defer opt.Memory.reserve(d, models.MemoryLimit(d), 0)()
	}
	mopt := models.Options{Resume: ck, OnStep: opt.OnStep, OnEpoch: opt.OnEpoch}
	mopt.OnCheckpoint = func(ck *runfiles.Checkpoint) error { return writeCheckpoint(dir, ck) }
	tr, err := models.Train(ctx, cfg, d, mopt)
	return finishRun(o, dir, tr, err, d, previewErr, opt.OnWarning)
}

// finishRun writes what a training into dir gave (tr, err; tr nil: nothing
// to write) as trainAs does: the final files, then the pictures, and sets
// o.Result.
func finishRun[T graph.Float](o *Outcome, dir string, tr *models.Trained[T], err error, d *models.Prepared[T], previewErr error, onWarning func(error)) error {
	if tr == nil {
		return err
	}
	if werr := writeResults(dir, tr, d); werr != nil {
		if err == nil {
			// Trained to the end: the finished checkpoint holds it all.
			werr = fmt.Errorf("%w (the trained run is in %s; once the write can succeed, 'gtrain train --resume %s' writes the missing files)", werr, filepath.Join(dir, runfiles.CheckpointFile), dir)
		}
		return errors.Join(err, werr)
	}
	o.Result = tr.Result
	if perr := report.WriteRunPictures(dir); perr != nil && err == nil {
		return &PicturesError{perr}
	} else if perr != nil && onWarning != nil {
		onWarning(&PicturesError{perr})
	}
	if err == nil && previewErr != nil {
		// A picture that could not be written is an error, reported
		// after the run wrote everything else.
		return &PreviewError{Dir: dir, Err: previewErr}
	}
	return err
}

// writeCheckpoint writes what an epoch's checkpoint holds: the metrics so
// far (metrics.csv, metrics.jsonl) and checkpoint.json.
func writeCheckpoint(dir string, ck *runfiles.Checkpoint) error {
	if err := runfiles.WriteMetrics(dir, ck.Epochs); err != nil {
		return err
	}
	if err := runfiles.WriteMetricsJSONL(dir, ck.Epochs); err != nil {
		return err
	}
	return runfiles.WriteCheckpoint(dir, ck)
}

// writeResults writes the final files of a run: the metrics, model.json
// and result.json, last.
func writeResults[T graph.Float](dir string, tr *models.Trained[T], d *models.Prepared[T]) error {
	if err := runfiles.WriteMetrics(dir, tr.Result.Epochs); err != nil {
		return err
	}
	if err := runfiles.WriteMetricsJSONL(dir, tr.Result.Epochs); err != nil {
		return err
	}
	if err := runfiles.WriteModel(dir, runfiles.NewModel(tr.Params, d.Classes, d.Normalizer)); err != nil {
		return err
	}
	return runfiles.WriteResult(dir, tr.Result)
}
