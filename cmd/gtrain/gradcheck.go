package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/cuda"
	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/npzfile"
)

func gradcheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "gradcheck",
		Usage: "compare the autodiff, analytic and numerical gradients on real images",
		Description: "Uses the first --samples images of data_batch_1 (normalized as for training), their\n" +
			"first --dims dimensions, and W, b ~ N(0, 0.01^2). Prints the maximum relative error\n" +
			"|a-b| / max(floor, |a|+|b|) of W and b for each pair; exits non-zero above --tol.\n" +
			"--write FILE.npz also saves those inputs with gtrain's gradients for your own code;\n" +
			"--compare FILE.npz checks the gradients in your file instead (docs/npz.md).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "CIFAR-10 directory or archive (" + dataDefault + ")"},
			deviceFlag(),
			&cli.StringFlag{Name: "loss", Value: "cross", Usage: "cross or svm"},
			&cli.IntFlag{Name: "dims", Value: 20, Usage: "input dimensions used (1..3072)"},
			&cli.IntFlag{Name: "samples", Value: 100, Usage: "images used (1..10000)"},
			&cli.Float64Flag{Name: "lambda", Value: 0, Usage: "L2 regularization strength"},
			&cli.Float64Flag{Name: "tol", Value: 1e-6, Usage: "largest accepted relative error"},
			&cli.Float64Flag{Name: "step", Value: 1e-6, Usage: "finite-difference step h"},
			&cli.StringFlag{Name: "method", Value: "central", Usage: "numerical formula: central or forward (the course's faster one)"},
			&cli.Float64Flag{Name: "floor", Usage: "smallest denominator of the relative error (default 1e-12 for cross, 1e-9 for svm)"},
			&cli.StringFlag{Name: "dtype", Value: "float64", Usage: "dtype of the autodiff graph: float64 or float32"},
			&cli.Uint64Flag{Name: "seed", Value: 0, Usage: "seed of W and b"},
			&cli.StringFlag{Name: "hidden", Usage: "hidden-layer widths, e.g. 50 or 50,50 (default none: the linear model)"},
			&cli.BoolFlag{Name: "batch-norm", Usage: "batch normalization before each hidden ReLU (needs --hidden)"},
			&cli.Float64Flag{Name: "tol-numerical", Value: 1e-4, Usage: "k-layer nets: largest accepted error against the numerical gradient (--tol bounds autodiff vs analytic)"},
			&cli.StringFlag{Name: "init", Value: "he", Usage: "weights of a k-layer net: he, xavier or a σ (the linear model draws N(0, 0.01²))"},
			&cli.StringFlag{Name: "compare", Usage: "check the gradients of this .npz file (parameters, batch, λ, loss, your gradients) instead"},
			&cli.StringFlag{Name: "write", Usage: "also write the check's inputs and gtrain's gradients to this .npz file"},
			&cli.StringFlag{Name: "layout", Value: "course", Usage: "--write's layout: course (X is d×n) or rows (X is n×d)"},
		},
		Action: func(c *cli.Context) error {
			if c.IsSet("compare") {
				return gradcheckCompare(c)
			}
			layout := npzfile.Layout(c.String("layout"))
			if layout != npzfile.Course && layout != npzfile.Rows {
				return fmt.Errorf("--layout %q: want course or rows", layout)
			}
			dev, err := resolveDevice(c)
			if err != nil {
				return err
			}
			loss, err := graph.ParseLoss(c.String("loss"))
			if err != nil {
				return fmt.Errorf("--loss: %w", err)
			}
			dims, samples := c.Int("dims"), c.Int("samples")
			if dims < 1 || dims > data.ImageSize {
				return fmt.Errorf("--dims %d: must be in 1..%d", dims, data.ImageSize)
			}
			if samples < 1 {
				return fmt.Errorf("--samples %d: must be ≥ 1", samples)
			}
			lambda := c.Float64("lambda")
			if math.IsNaN(lambda) || math.IsInf(lambda, 0) || lambda < 0 {
				return fmt.Errorf("--lambda %v: must be a finite number ≥ 0", lambda)
			}
			cfg, tol, err := checkSettings(c, loss)
			if err != nil {
				return err
			}
			cfg.Loss, cfg.Lambda = loss, lambda
			splits, err := loadCourseSplits(c)
			if err != nil {
				return err
			}
			if samples > splits.Train.Len() {
				return fmt.Errorf("--samples %d: the training batch has %d images", samples, splits.Train.Len())
			}
			if c.IsSet("hidden") || c.Bool("batch-norm") {
				return gradcheckNetwork(c, dev, splits, dims, samples, cfg, tol)
			}
			check, err := graph.ForDtype(c.String("dtype"), gradcheck[float32], gradcheck[float64])
			if err != nil {
				return fmt.Errorf("--%w", err) // --dtype "…": want …
			}
			rows, err := check(dev, splits, dims, samples, c.Uint64("seed"), cfg, gradWrite{c.String("write"), layout})
			if err != nil {
				return err
			}
			w := c.App.Writer
			fmt.Fprintf(w, "gradient check: loss %s, lambda %g, %d dims, %d samples, %s, h %g (%s), floor %g\n",
				loss, lambda, dims, samples, c.String("dtype"), cfg.H, cfg.Method, cfg.Floor)
			tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
			fmt.Fprintln(tw, "gradients\tmax rel err W\tmax rel err b\t")
			worst := graph.GradComparison{}
			for _, r := range rows {
				fmt.Fprintf(tw, "%s vs %s\t%.3g\t%.3g\t\n", r.A, r.B, r.W, r.B_)
				if !(r.MaxError() <= worst.MaxError()) {
					worst = r
				}
			}
			tw.Flush()
			if path := c.String("write"); path != "" {
				fmt.Fprintf(w, "wrote %s: W1, b1, X, y, Y, lambda, loss and gtrain's grad_W1, grad_b1 (layout %s)\n", path, layout)
			}
			if !(worst.MaxError() <= tol) {
				return fmt.Errorf("gradient check failed: %s vs %s differ by %.3g > --tol %g", worst.A, worst.B, worst.MaxError(), tol)
			}
			fmt.Fprintf(w, "PASS: every error ≤ %g\n", tol)
			return nil
		},
	}
}

// gradcheck runs the check on the first samples images and dims dimensions
// of the normalized training batch. On a GPU it compares the GPU's autodiff
// with the analytic gradient and with the CPU's autodiff.
func gradcheck[T graph.Float](dev string, splits *data.Splits, dims, samples int, seed uint64, cfg graph.GradCheckConfig, write gradWrite) ([]graph.GradComparison, error) {
	train := splits.Train.Slice(0, samples)
	nz := data.FitNormalizer(splits.Train)
	full := make([]T, len(train.Pixels))
	data.Normalize(full, train.Pixels, nz)
	b := graph.Batch[T]{X: make([]T, samples*dims), Labels: train.Labels}
	for i := 0; i < samples; i++ {
		copy(b.X[i*dims:(i+1)*dims], full[i*data.ImageSize:])
	}
	p := graph.NewParams[T](data.NumClasses, dims)
	p.InitGaussian(rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), 0.01)
	if err := writeGradInputs(write, p, b, cfg); err != nil {
		return nil, err
	}
	if dev != "cpu" {
		return cuda.GradCheck(dev, p, b, cfg)
	}
	return graph.GradCheck(p, b, cfg)
}

// loadCourseSplits reads the course's split from --data, else the default
// data.
func loadCourseSplits(c *cli.Context) (*data.Splits, error) {
	dir, err := dataDir(c)
	if err != nil {
		return nil, err
	}
	dc := config.DefaultConfig().Data
	dc.Dir = dir
	return models.LoadSplits(dc)
}
