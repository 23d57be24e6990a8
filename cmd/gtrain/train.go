package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
)

func trainCommand() *cli.Command {
	def := models.DefaultConfig()
	return &cli.Command{
		Name:  "train",
		Usage: "train the one-layer classifier and print the report's result block",
		Description: "Defaults are the report's Model 3 (cross-entropy, lambda 0.1, eta 0.001, 40 epochs,\n" +
			"batches of 100) on the course's split: train data_batch_1, validate on data_batch_2,\n" +
			"test on test_batch. The run directory receives config.json, metrics.csv and result.json.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", EnvVars: []string{"CIFAR10_DIR"}, Usage: "CIFAR-10: a cifar-10-batches-bin or -py directory, or cifar-10-binary.tar.gz"},
			&cli.StringFlag{Name: "loss", Value: def.Loss, Usage: "cross (softmax cross-entropy) or svm (multi-class hinge)"},
			&cli.Float64Flag{Name: "lambda", Value: def.Lambda, Usage: "L2 regularization strength of lambda*||W||^2"},
			&cli.Float64Flag{Name: "eta", Value: def.Eta, Usage: "learning rate"},
			&cli.IntFlag{Name: "epochs", Value: def.Epochs, Usage: "number of epochs"},
			&cli.IntFlag{Name: "batch", Value: def.Batch, Usage: "mini-batch size"},
			&cli.Float64Flag{Name: "decay", Value: def.Decay, Usage: "multiply eta by this after each epoch, in (0, 1]"},
			&cli.BoolFlag{Name: "shuffle", Usage: "reshuffle the training data at each epoch"},
			&cli.Uint64Flag{Name: "seed", Value: def.Seed, Usage: "seed of the initialization and the shuffling"},
			&cli.StringFlag{Name: "dtype", Value: def.Dtype, Usage: "float64 or float32"},
			&cli.BoolFlag{Name: "all-batches", Usage: "train on data_batch_1..5 and validate on the last --val-holdout of them"},
			&cli.IntFlag{Name: "val-holdout", Value: 1000, Usage: "with --all-batches: training images held out for validation"},
			&cli.StringFlag{Name: "out", Usage: "run directory (default runs/<config hash>)"},
			&cli.BoolFlag{Name: "force", Usage: "write into a run directory that holds another run"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the result block"},
		},
		Action: func(c *cli.Context) error {
			dev, err := resolveDevice(c)
			if err != nil {
				return err
			}
			cfg := models.DefaultConfig()
			cfg.Device = dev
			cfg.Data.Dir = c.String("data")
			if cfg.Data.Dir != "" {
				if abs, err := filepath.Abs(cfg.Data.Dir); err == nil {
					cfg.Data.Dir = abs
				}
			}
			cfg.Loss, cfg.Lambda, cfg.Eta = c.String("loss"), c.Float64("lambda"), c.Float64("eta")
			cfg.Epochs, cfg.Batch, cfg.Decay = c.Int("epochs"), c.Int("batch"), c.Float64("decay")
			cfg.Shuffle, cfg.Seed, cfg.Dtype = c.Bool("shuffle"), c.Uint64("seed"), c.String("dtype")
			if c.Bool("all-batches") {
				cfg.Data.Train, cfg.Data.Val, cfg.Data.ValHoldout = models.AllBatches, nil, c.Int("val-holdout")
			} else if c.IsSet("val-holdout") {
				return fmt.Errorf("--val-holdout needs --all-batches")
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			out := c.String("out")
			if out == "" {
				out = filepath.Join("runs", cfg.Hash())
			}
			if err := checkRunDir(out, &cfg, c.Bool("force")); err != nil {
				return err
			}
			log := c.App.ErrWriter
			if c.Bool("quiet") {
				log = io.Discard
			}
			return train(c.Context, cfg, out, c.App.Writer, log)
		},
	}
}

// checkRunDir refuses a directory that holds a run of another
// configuration, so that no earlier result is overwritten by mistake.
func checkRunDir(dir string, cfg *models.Config, force bool) error {
	old, err := models.ReadConfig(dir)
	if os.IsNotExist(err) || force {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--out %s: %v (use --force to overwrite)", dir, err)
	}
	if old.Hash() != cfg.Hash() {
		return fmt.Errorf("--out %s holds a run of another configuration (%s); use --force to overwrite", dir, old.Hash())
	}
	return nil
}

func train(ctx context.Context, cfg models.Config, out string, stdout, log io.Writer) error {
	splits, err := models.LoadSplits(cfg.Data)
	if err != nil {
		return err
	}
	if err := models.WriteConfig(out, &cfg); err != nil {
		return err
	}
	fmt.Fprintf(log, "train %d, val %d, test %d images; run directory %s\n", splits.Train.Len(), splits.Val.Len(), splits.Test.Len(), out)
	if cfg.Dtype == "float32" {
		return trainAs(ctx, models.Prepare[float32](splits), cfg, out, stdout, log)
	}
	return trainAs(ctx, models.Prepare[float64](splits), cfg, out, stdout, log)
}

func trainAs[T graph.Float](ctx context.Context, d *models.Prepared[T], cfg models.Config, out string, stdout, log io.Writer) error {
	var epochs []models.EpochMetrics
	opt := models.Options{OnEpoch: func(m models.EpochMetrics) {
		epochs = append(epochs, m)
		fmt.Fprintf(log, "epoch %3d/%d  eta %-8.3g train cost %.4f acc %5.2f%%  val cost %.4f acc %5.2f%%  %.2fs\n",
			m.Epoch, cfg.Epochs, m.Eta, m.TrainCost, 100*m.TrainAcc, m.ValCost, 100*m.ValAcc, m.Seconds)
		// Metrics so far are on disk after every epoch: an interrupted run
		// keeps what it measured.
		if err := models.WriteMetrics(out, epochs); err != nil {
			fmt.Fprintln(log, "gtrain: warning:", err)
		}
	}}
	tr, err := models.Train(ctx, cfg, d, opt)
	if err != nil {
		return err
	}
	if err := models.WriteModel(out, models.NewModel(tr.Params, d.Classes, d.Normalizer)); err != nil {
		return err
	}
	if err := models.WriteResult(out, tr.Result); err != nil {
		return err
	}
	if err := models.WriteResultBlock(stdout, &cfg, tr.Result); err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %s (median epoch %.3fs)\n", out, median(tr.Result.EpochSeconds))
	return nil
}
