package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // predict reads JPEG too
	_ "image/png"  // predict reads PNG
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/runfiles"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "recompute the result of a run from its model.json, or from its checkpoint.json when it has no model",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "run directory holding config.json and model.json or checkpoint.json"},
			// No CIFAR10_DIR here: a run is evaluated on its own data unless
			// told otherwise.
			&cli.StringFlag{Name: "data", Usage: "CIFAR-10 directory or archive (default: the run's own, from its config.json)"},
			deviceFlag(),
		},
		Action: func(c *cli.Context) error {
			dev, err := resolveDevice(c)
			if err != nil {
				return err
			}
			dir := c.String("model")
			cfg, err := runfiles.ReadConfig(dir)
			if err != nil {
				return fmt.Errorf("--model %s: %w", dir, err)
			}
			if d := c.String("data"); d != "" {
				cfg.Data.Dir, _ = filepath.Abs(d)
			}
			// The model is checked before the data is read, so that a bad
			// model.json fails at once.
			m, err := runfiles.ReadModel(dir)
			fromCheckpoint := errors.Is(err, fs.ErrNotExist)
			if err != nil && !fromCheckpoint {
				return fmt.Errorf("--model %s: %w", dir, err)
			}
			splits, err := models.LoadSplits(cfg.Data)
			if err != nil {
				return err
			}
			if fromCheckpoint {
				// A run killed before it wrote its model still has the
				// checkpoint of its last finished epoch.
				if m, err = runfiles.ModelFromCheckpoint(dir, cfg, splits); err != nil {
					return fmt.Errorf("--model %s: %w", dir, err)
				}
			}
			// A signal stops eval between its stages, with the signal's
			// exit status and no table.
			ctx := c.Context
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			spec := engine.Spec{Device: dev, Loss: graph.Loss(cfg.Loss), Lambda: cfg.L2Weight()}
			evaluate, err := graph.ForDtype(m.Dtype, evaluateAs[float32], evaluateAs[float64])
			if err != nil {
				return fmt.Errorf("--model %s: %w", dir, err)
			}
			evals, err := evaluate(ctx, m, splits, spec)
			if err != nil {
				return err
			}
			stored, _ := runfiles.ReadResult(dir) // optional: shown beside for comparison
			return writeEvals(c.App.Writer, cfg, evals, stored)
		},
	}
}

// evaluateAs evaluates m on splits normalized as T with the model's
// normalizer.
func evaluateAs[T graph.Float](ctx context.Context, m *runfiles.Model, splits *data.Splits, spec engine.Spec) (map[string]engine.Eval, error) {
	return models.EvaluateModel(ctx, m, models.PrepareWith[T](splits, m.Normalizer()), spec)
}

func writeEvals(w io.Writer, cfg *config.Config, evals map[string]engine.Eval, stored *runfiles.Result) error {
	l2 := ""
	if cfg.L2 == "half" {
		l2 = " (l2 half: lambda/2 * ||W||^2)"
	}
	fmt.Fprintf(w, "model: loss %s, lambda %g%s, %s\n", cfg.Loss, cfg.Lambda, l2, cfg.Dtype)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "split\timages\taccuracy\tcost\tloss\tresult.json accuracy\t")
	for _, s := range runfiles.SplitNames {
		ev := evals[s]
		was := "-"
		if stored != nil {
			was = fmt.Sprintf("%.2f%%", 100*stored.Splits[s].AccuracyTrained)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%.4f\t%.4f\t%s\t\n", s, ev.N, 100*ev.Accuracy(), ev.Cost, ev.Loss, was)
	}
	return tw.Flush()
}

func predictCommand() *cli.Command {
	return &cli.Command{
		Name:  "predict",
		Usage: "classify 32×32 images (PNG or JPEG) with a trained run's model (alpha is ignored)",
		Description: "Transparency is ignored: each pixel's colour is used as the file stores it, whatever its\n" +
			"alpha (not composited on a background), as CIFAR-10's images have no alpha.",
		ArgsUsage: "IMAGE...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "run directory holding model.json"},
			&cli.IntFlag{Name: "top", Value: 3, Usage: "classes to list per image"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return fmt.Errorf("predict: name at least one image")
			}
			m, err := runfiles.ReadModel(c.String("model"))
			if err != nil {
				return fmt.Errorf("--model %s: %w", c.String("model"), err)
			}
			top := min(max(c.Int("top"), 1), m.K)
			for _, path := range c.Args().Slice() {
				pix, err := readImage(path)
				if err != nil {
					return err
				}
				p, err := models.Predict(m, pix)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				fmt.Fprintf(c.App.Writer, "%s: %s", path, m.Classes[p.Class])
				for _, k := range topK(p.Probs, top) {
					fmt.Fprintf(c.App.Writer, "  %s %.3f", m.Classes[k], p.Probs[k])
				}
				fmt.Fprintln(c.App.Writer)
			}
			return nil
		},
	}
}

// readImage decodes a 32×32 image into CIFAR's channel-major pixel layout.
func readImage(path string) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	if b.Dx() != data.Side || b.Dy() != data.Side {
		return nil, fmt.Errorf("%s: %d×%d pixels; the model takes %d×%d images", path, b.Dx(), b.Dy(), data.Side, data.Side)
	}
	pix := make([]uint8, data.ImageSize)
	plane := data.Side * data.Side
	for y := 0; y < data.Side; y++ {
		for x := 0; x < data.Side; x++ {
			r, g, bl := storedRGB(img.At(b.Min.X+x, b.Min.Y+y))
			i := y*data.Side + x
			pix[i], pix[plane+i], pix[2*plane+i] = r, g, bl
		}
	}
	return pix, nil
}

// storedRGB returns a pixel's colour as the file stores it, ignoring
// alpha. Color.RGBA() would premultiply by alpha and turn a nearly
// transparent red into black; PNG stores colours unpremultiplied, which Go
// decodes as NRGBA (or NRGBA64), so those are read as they are. Other
// colours (JPEG, opaque PNG) are converted, which is exact when opaque.
func storedRGB(c color.Color) (r, g, b uint8) {
	switch c := c.(type) {
	case color.NRGBA:
		return c.R, c.G, c.B
	case color.NRGBA64:
		return uint8(c.R >> 8), uint8(c.G >> 8), uint8(c.B >> 8)
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return n.R, n.G, n.B
}

// topK returns the indices of the k largest probabilities, largest first.
func topK(p []float64, k int) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < k; i++ {
		for j := i + 1; j < len(idx); j++ {
			if p[idx[j]] > p[idx[i]] {
				idx[i], idx[j] = idx[j], idx[i]
			}
		}
	}
	return idx[:k]
}
