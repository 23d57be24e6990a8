package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/data/augment"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/rundir"
	"github.com/gtrain/gtrain/models/runfiles"
)

// trainFlags are the flags that set a Config; --resume refuses them.
var trainFlags = []string{"loss", "lambda", "l2", "eta", "epochs", "batch", "decay", "shuffle", "seed", "dtype",
	"schedule", "step-every", "step-gamma", "eta-min", "eta-max", "cycle-steps", "noise", "augment", "early-stop",
	"all-batches", "train-batches", "val-holdout", "config"}

func trainCommand() *cli.Command {
	def := config.DefaultConfig()
	return &cli.Command{
		Name:  "train",
		Usage: "train a classifier (the one-layer one, or a k-layer network with --hidden) and print the result block",
		Description: "Defaults are the report's Model 3 (cross-entropy, lambda 0.1, eta 0.001, 40 epochs,\n" +
			"batches of 100) on the course's split: train data_batch_1, validate on data_batch_2,\n" +
			"test on test_batch. The run directory receives config.json, metrics.csv, checkpoint.json\n" +
			"(after every epoch), model.json and result.json. Ctrl-C stops after the current step\n" +
			"with a checkpoint; 'gtrain train --resume DIR' continues it exactly. One process at a\n" +
			"time owns a run directory (its .lock); a complete run is printed, not trained again.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "CIFAR-10: a cifar-10-batches-bin or -py directory, or cifar-10-binary.tar.gz (" + dataDefault + ")"},
			deviceFlag(),
			&cli.StringFlag{Name: "loss", Value: def.Loss, Usage: "cross (softmax cross-entropy) or svm (multi-class hinge)"},
			&cli.Float64Flag{Name: "lambda", Value: def.Lambda, Usage: "L2 regularization strength of lambda*||W||^2"},
			&cli.StringFlag{Name: "l2", Value: "full", Usage: "how lambda weighs ||W||^2: full (lambda*||W||^2, the course's formula) or half (lambda/2*||W||^2, code whose penalty gradient is lambda*W)"},
			&cli.Float64Flag{Name: "eta", Value: def.Eta, Usage: "learning rate"},
			&cli.IntFlag{Name: "epochs", Value: def.Epochs, Usage: "number of epochs"},
			&cli.IntFlag{Name: "batch", Value: def.Batch, Usage: "mini-batch size"},
			&cli.Float64Flag{Name: "decay", Value: def.Decay, Usage: "schedule exp: multiply eta by this after each epoch, in (0, 1]"},
			&cli.BoolFlag{Name: "shuffle", Usage: "reshuffle the training data at each epoch"},
			&cli.Uint64Flag{Name: "seed", Value: def.Seed, Usage: "seed of the initialization, shuffling and augmentation"},
			&cli.StringFlag{Name: "dtype", Value: def.Dtype, Usage: "float64 or float32"},
			&cli.StringFlag{Name: "schedule", Value: def.Schedule, Usage: "learning-rate schedule: exp (eta *= decay per epoch), step, or cyclic (triangular)"},
			&cli.IntFlag{Name: "step-every", Usage: "schedule step: epochs between drops"},
			&cli.Float64Flag{Name: "step-gamma", Usage: "schedule step: factor of each drop, in (0, 1]"},
			&cli.Float64Flag{Name: "eta-min", Usage: "schedule cyclic: lowest learning rate"},
			&cli.Float64Flag{Name: "eta-max", Usage: "schedule cyclic: highest learning rate"},
			&cli.IntFlag{Name: "cycle-steps", Usage: "schedule cyclic: updates per half cycle (the course's n_s)"},
			&cli.IntFlag{Name: "cycles", Usage: "schedule cyclic: the run's length in cycles of 2·cycle-steps updates, instead of --epochs"},
			&cli.StringFlag{Name: "hidden", Usage: "hidden-layer widths of a k-layer network, e.g. 50 or 50,50 (default none: the linear classifier)"},
			&cli.BoolFlag{Name: "batch-norm", Usage: "batch normalization before each hidden layer's ReLU"},
			&cli.StringFlag{Name: "init", Usage: "weight initialization: he (default with --hidden), xavier or a sigma; the linear classifier's default is N(0, init_std^2)"},
			&cli.StringSliceFlag{Name: "noise", Usage: "noise on training batches, in [0,1] pixel units: gaussian:SIGMA or sp:FRACTION (repeatable, applied in order before --augment)"},
			&cli.StringSliceFlag{Name: "augment", Usage: "augmentation of training batches: flip:P, translate:K[:zero|edge], jitter:brightness=B,contrast=C,saturation=S, gaussian:SIGMA, sp:F (repeatable, applied in order after --noise)"},
			&cli.BoolFlag{Name: "augment-in-place", Usage: "apply --noise/--augment to the stored training images once per epoch, accumulating, instead of afresh to every batch (the report's salt-and-pepper reading; evaluation uses the clean images)"},
			&cli.IntFlag{Name: "early-stop", Usage: "stop when validation accuracy has not improved for N epochs and keep the best weights (0: off)"},
			&cli.BoolFlag{Name: "all-batches", Usage: "train on data_batch_1..5 and validate on the last --val-holdout of them"},
			&cli.StringFlag{Name: "train-batches", Usage: "training batches, e.g. 1,2,3 or data_batch_1,data_batch_3 (validation: the last --val-holdout images)"},
			&cli.IntFlag{Name: "val-holdout", Value: 1000, Usage: "with --all-batches or --train-batches: training images held out for validation"},
			&cli.StringFlag{Name: "config", Usage: "YAML file of settings (the keys of config.json); flags override it"},
			&cli.StringFlag{Name: "out", Usage: "run directory (default runs/<config hash>)"},
			&cli.StringFlag{Name: "resume", Usage: "continue the interrupted run in this directory from its checkpoint"},
			&cli.BoolFlag{Name: "force", Usage: "write into a run directory that holds another run"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the result block"},
		},
		Action: func(c *cli.Context) error {
			dev, err := resolveDevice(c)
			if err != nil {
				return err
			}
			log := c.App.ErrWriter
			if c.Bool("quiet") {
				log = io.Discard
			}
			if dir := c.String("resume"); dir != "" {
				lock, err := lockRunDir("--resume", dir)
				if err != nil {
					return err
				}
				defer lock.Release()
				return resume(c, dir, log)
			}
			cfg, err := configFromFlags(c, dev)
			if err != nil {
				return err
			}
			out := c.String("out")
			if out == "" {
				out = filepath.Join("runs", cfg.Hash())
			}
			// Taken before config.json is checked: the check and the run
			// that follows are then one process's, start to end.
			lock, err := lockRunDir("--out", out)
			if err != nil {
				return err
			}
			defer lock.Release()
			return train(c, out, log, func(opt rundir.Options) (*rundir.Outcome, error) {
				opt.Force = c.Bool("force")
				o, err := rundir.Train(c.Context, cfg, out, opt)
				return o, outError(out, err)
			})
		},
	}
}

// configFromFlags resolves the configuration: defaults, then the --config
// file, then the flags that were given.
func configFromFlags(c *cli.Context, dev string) (config.Config, error) {
	cfg := config.DefaultConfig()
	if f := c.String("config"); f != "" {
		if err := config.LoadConfigFile(f, &cfg); err != nil {
			return cfg, err
		}
	}
	if _, given := givenDevice(c); given || cfg.Device == "" {
		cfg.Device = dev
	}
	set := func(name string, apply func()) {
		if c.IsSet(name) {
			apply()
		}
	}
	set("data", func() { cfg.Data.Dir = c.String("data") })
	if cfg.Data.Dir == "" {
		if cfg.Data.Dir = defaultDataDir(); cfg.Data.Dir == "" {
			return cfg, errNoData()
		}
	}
	cfg.Data.Dir = absPath(cfg.Data.Dir)
	set("loss", func() { cfg.Loss = c.String("loss") })
	set("lambda", func() { cfg.Lambda = c.Float64("lambda") })
	set("l2", func() { cfg.L2 = c.String("l2") })
	set("eta", func() { cfg.Eta = c.Float64("eta") })
	set("epochs", func() { cfg.Epochs = c.Int("epochs") })
	set("batch", func() { cfg.Batch = c.Int("batch") })
	set("decay", func() { cfg.Decay = c.Float64("decay") })
	set("shuffle", func() { cfg.Shuffle = c.Bool("shuffle") })
	set("seed", func() { cfg.Seed = c.Uint64("seed") })
	set("dtype", func() { cfg.Dtype = c.String("dtype") })
	set("schedule", func() { cfg.Schedule = c.String("schedule") })
	set("step-every", func() { cfg.StepEvery = c.Int("step-every") })
	set("step-gamma", func() { cfg.StepGamma = c.Float64("step-gamma") })
	set("eta-min", func() { cfg.EtaMin = c.Float64("eta-min") })
	set("eta-max", func() { cfg.EtaMax = c.Float64("eta-max") })
	set("cycle-steps", func() { cfg.CycleSteps = c.Int("cycle-steps") })
	set("cycles", func() {
		cfg.Cycles = c.Int("cycles")
		if !c.IsSet("epochs") {
			cfg.Epochs = 0 // the cycles are the length
		}
	})
	set("batch-norm", func() { cfg.BatchNorm = c.Bool("batch-norm") })
	set("init", func() { cfg.Init = c.String("init") })
	if c.IsSet("hidden") {
		hidden, err := graph.ParseWidths(c.String("hidden"))
		if err != nil {
			return cfg, fmt.Errorf("--hidden: %w", err)
		}
		cfg.Hidden = hidden
	}
	set("early-stop", func() { cfg.EarlyStop = c.Int("early-stop") })
	set("augment-in-place", func() { cfg.AugmentInPlace = c.Bool("augment-in-place") })
	for _, spec := range c.StringSlice("noise") {
		if !strings.HasPrefix(spec, "gaussian:") && !strings.HasPrefix(spec, "sp:") {
			return cfg, fmt.Errorf("--noise %q: want gaussian:SIGMA or sp:FRACTION", spec)
		}
	}
	if c.IsSet("noise") || c.IsSet("augment") {
		cfg.Augment = append(append([]string(nil), c.StringSlice("noise")...), c.StringSlice("augment")...)
	}
	if len(cfg.Augment) > 0 {
		// config.json holds the canonical specs ("flip:0.5" for "flip", and
		// jitter specs that the flag parser cut at their commas rejoined).
		p, err := augment.Parse(cfg.Augment)
		if err != nil {
			return cfg, err
		}
		cfg.Augment = p.Specs()
	}
	switch {
	case c.Bool("all-batches") && c.IsSet("train-batches"):
		return cfg, fmt.Errorf("--all-batches and --train-batches: choose one")
	case c.Bool("all-batches"):
		cfg.Data.Train, cfg.Data.Val, cfg.Data.ValHoldout = models.AllBatches, nil, c.Int("val-holdout")
	case c.IsSet("train-batches"):
		names, err := batchNames(c.String("train-batches"))
		if err != nil {
			return cfg, err
		}
		cfg.Data.Train, cfg.Data.Val, cfg.Data.ValHoldout = names, nil, c.Int("val-holdout")
	case c.IsSet("val-holdout"):
		if cfg.Data.ValHoldout == 0 {
			return cfg, fmt.Errorf("--val-holdout needs --all-batches or --train-batches")
		}
		cfg.Data.ValHoldout = c.Int("val-holdout")
	}
	return cfg, cfg.Validate()
}

// batchNames turns "1,3" or "data_batch_1,data_batch_3" into batch names.
func batchNames(list string) ([]string, error) {
	var names []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if n, err := strconv.Atoi(f); err == nil {
			if n < 1 || n > 5 {
				return nil, fmt.Errorf("--train-batches: batch %d is not in 1..5", n)
			}
			f = fmt.Sprintf("data_batch_%d", n)
		}
		if f == "" {
			return nil, fmt.Errorf("--train-batches %q: empty batch name", list)
		}
		names = append(names, f)
	}
	return names, nil
}

// outError words the refusals of rundir.Train for --out dir.
func outError(dir string, err error) error {
	var (
		unreadable  *rundir.UnreadableError
		foreign     *rundir.ForeignError
		interrupted *rundir.InterruptedError
		refused     *rundir.RefusedCheckpointError
	)
	switch {
	case errors.As(err, &unreadable) && unreadable.Checkpoint:
		return fmt.Errorf("--out %s: %v (use --force to start over)", dir, unreadable.Err)
	case errors.As(err, &unreadable):
		return fmt.Errorf("--out %s: %v (use --force to overwrite)", dir, unreadable.Err)
	case errors.As(err, &foreign):
		return fmt.Errorf("--out %s holds a run of another configuration (%s); use --force to overwrite, or --resume to continue it", dir, foreign.Hash)
	case errors.As(err, &interrupted):
		return fmt.Errorf("--out %s holds this run, interrupted after epoch %d of %d: continue it with 'gtrain train --resume %s', or start over with --force", dir, interrupted.Epoch, interrupted.Epochs, dir)
	case errors.As(err, &refused):
		return fmt.Errorf("--resume %s: %w", dir, err)
	}
	return err
}

// lockRunDir takes the lock of the run directory dir, given by flag, for
// the rest of the process (or until Release): another gtrain process
// owning it is refused with its pid.
func lockRunDir(flag, dir string) (*rundir.Lock, error) {
	lock, err := rundir.AcquireLock(dir)
	var notDir *rundir.NotDirError
	var locked *rundir.LockedError
	switch {
	case errors.As(err, &notDir):
		return nil, fmt.Errorf("%s %v", flag, err)
	case errors.As(err, &locked):
		return nil, fmt.Errorf("%s %v: wait for it to finish, or choose another directory", flag, err)
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", flag, dir, err)
	}
	return lock, nil
}

// resume continues the run in dir from its checkpoint, with its own
// configuration; flags that would change it are refused.
func resume(c *cli.Context, dir string, log io.Writer) error {
	for _, f := range trainFlags {
		if c.IsSet(f) {
			return fmt.Errorf("--resume %s: --%s cannot change a run being resumed (its configuration is %s)", dir, f, filepath.Join(dir, runfiles.ConfigFile))
		}
	}
	return train(c, dir, log, func(opt rundir.Options) (*rundir.Outcome, error) {
		o, err := rundir.Resume(c.Context, dir, opt)
		var refused *rundir.RefusedCheckpointError
		if err != nil && (o == nil || errors.As(err, &refused)) {
			// Refused before training: the directory is as it was.
			err = fmt.Errorf("--resume %s: %w", dir, err)
		}
		return o, err
	})
}

// train runs start, the library's training into the run directory dir,
// with the progress display and the messages of 'gtrain train' on log,
// and prints the result block.
func train(c *cli.Context, dir string, log io.Writer, start func(rundir.Options) (*rundir.Outcome, error)) error {
	var prog *progress
	opt := rundir.Options{
		Memory: memoryBudget(),
		OnFound: func(f *rundir.Found) {
			switch f.State {
			case rundir.Unfinished:
				fmt.Fprintf(log, "%s finished its %d epochs without its final files; writing them from the checkpoint\n", dir, f.Checkpoint.Epoch)
			case rundir.Interrupted:
				fmt.Fprintf(log, "resuming %s at epoch %d, step %d\n", dir, f.Checkpoint.Epoch+1, f.Checkpoint.Step+1)
			}
		},
		OnStart: func(cfg *config.Config, splits *data.Splits) {
			fmt.Fprintf(log, "train %d, val %d, test %d images; run directory %s\n", splits.Train.Len(), splits.Val.Len(), splits.Test.Len(), dir)
			epochs, err := cfg.EpochsFor(splits.Train.Len() / max(cfg.Batch, 1))
			if err != nil {
				epochs = 0 // the trainer refuses the run with this error
			}
			prog = newProgress(log, epochs, log == io.Discard)
		},
		OnStep:    func(epoch, step, steps int, cost float64) { prog.Step(epoch, step, steps, cost) },
		OnEpoch:   func(m runfiles.EpochMetrics) { prog.Epoch(m) },
		OnWarning: func(err error) { fmt.Fprintln(log, "gtrain: warning:", err) },
	}
	o, err := start(opt)
	if prog != nil {
		prog.Done()
	}
	stdout := c.App.Writer
	if err == nil && o.State == rundir.Complete {
		fmt.Fprintf(log, "%s: the run is complete (%d epochs), its result follows; --force trains it again\n", dir, len(o.Result.EpochSeconds))
		return runfiles.WriteResultBlock(stdout, o.Config, o.Result)
	}
	var pictures *rundir.PicturesError
	var preview *rundir.PreviewError
	switch {
	case errors.As(err, &pictures):
		if werr := runfiles.WriteResultBlock(stdout, o.Config, o.Result); werr != nil {
			return werr
		}
		return fmt.Errorf("%w (model.json, result.json and metrics are in %s)", err, dir)
	case err != nil && !errors.As(err, &preview):
		if o != nil && o.Result != nil {
			fmt.Fprintf(log, "stopped: checkpoint, metrics and a partial result.json are in %s; continue with: gtrain train --resume %s\n", dir, dir)
		}
		return err
	}
	if werr := runfiles.WriteResultBlock(stdout, o.Config, o.Result); werr != nil {
		return werr
	}
	fmt.Fprintf(log, "wrote %s (median epoch %.3fs)\n", dir, median(o.Result.EpochSeconds))
	return err // nil, or the augmentation preview's
}

// memoryBudget is the soft memory limit the trainings of this process
// hold (rundir.MemoryBudget), unless the user set GOMEMLIMIT: then the
// runtime keeps theirs.
func memoryBudget() *rundir.MemoryBudget {
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	return rundir.NewMemoryBudget()
}
