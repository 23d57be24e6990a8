package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/npzfile"
)

// checkSettings reads the flags both gradient checks share: the
// finite-difference step and formula, the floor (by default 1e-9 for the
// SVM, see below) and the tolerance.
func checkSettings(c *cli.Context, loss graph.Loss) (graph.GradCheckConfig, float64, error) {
	tol, h, floor := c.Float64("tol"), c.Float64("step"), c.Float64("floor")
	if !c.IsSet("floor") {
		// The SVM's bias gradient has entries that cancel to exactly
		// 0 (sums of ±1/N); autodiff leaves 1e-17 residues there,
		// which the course's floor of 1e-12 turns into "errors" of
		// 1e-5. Every non-zero SVM entry is a multiple of 1/N, so a
		// floor of 1e-9 hides nothing.
		floor = 1e-12
		if loss == graph.SVM {
			floor = 1e-9
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"tol", tol}, {"step", h}, {"floor", floor}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v <= 0 {
			return graph.GradCheckConfig{}, 0, fmt.Errorf("--%s %v: must be a finite number > 0", f.name, f.v)
		}
	}
	var method graph.FiniteDifference
	switch c.String("method") {
	case "central":
		method = graph.Central
	case "forward":
		method = graph.Forward
	default:
		return graph.GradCheckConfig{}, 0, fmt.Errorf("--method %q: want central or forward", c.String("method"))
	}
	return graph.GradCheckConfig{H: h, Method: method, Floor: floor}, tol, nil
}

// gradWrite is --write: where to save the check's inputs, in which layout.
type gradWrite struct {
	path   string
	layout npzfile.Layout
}

// writeGradInputs writes the check's parameters and batch, with gtrain's
// float64 autodiff gradients, when --write is set. float32 inputs are
// written as the float64s they are.
func writeGradInputs[T graph.Float](g gradWrite, p *graph.Params[T], b graph.Batch[T], cfg graph.GradCheckConfig) error {
	if g.path == "" {
		return nil
	}
	p64 := &graph.Params[float64]{K: p.K, D: p.D, W: toFloat64(p.W), B: toFloat64(p.B)}
	b64 := graph.Batch[float64]{X: toFloat64(b.X), Labels: b.Labels}
	f, err := npzfile.NewLinearGradFile(p64, b64, cfg.Loss, cfg.Lambda, g.layout)
	if err != nil {
		return err
	}
	return npzfile.WriteGradFile(g.path, f)
}

func toFloat64[T graph.Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// gradcheckCompare is gradcheck --compare FILE: the file's gradients
// against gtrain's autodiff and numerical ones, parameter by parameter.
func gradcheckCompare(c *cli.Context) error {
	for _, name := range []string{"data", "device", "loss", "lambda", "dims", "samples", "dtype", "seed", "write", "layout"} {
		if c.IsSet(name) {
			return fmt.Errorf("--%s does not apply with --compare: the file gives the parameters, batch, loss and λ", name)
		}
	}
	f, err := npzfile.ReadGradFile(c.String("compare"))
	if err != nil {
		return err
	}
	cfg, tol, err := checkSettings(c, f.Loss)
	if err != nil {
		return err
	}
	if len(f.Hidden) > 0 && !c.IsSet("step") {
		cfg.H = 1e-5 // the course's step through k layers (docs/networks.md)
	}
	checks, err := npzfile.Compare(f, cfg)
	if err != nil {
		return err
	}
	w := c.App.Writer
	arch := "linear"
	if len(f.Hidden) > 0 {
		arch = fmt.Sprintf("hidden %v", f.Hidden)
	}
	fmt.Fprintf(w, "gradient check of %s: %s, loss %s, lambda %g, layout %s, K %d, d %d, n %d, h %g (%s), floor %g\n",
		f.Path, arch, f.Loss, f.Lambda, f.Layout, f.K, f.D, f.N, cfg.H, cfg.Method, cfg.Floor)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "gradient\tshape\tyours vs autodiff\tyours vs numerical\tautodiff vs numerical\tworst entry (yours, autodiff)\t")
	for _, k := range checks {
		fmt.Fprintf(tw, "%s%s\t%s\t%.3g\t%.3g\t%.3g\t%s (%.6g, %.6g)\t\n", npzfile.GradPrefix, k.Name, shapeText(k.Shape),
			k.UserVsAutodiff, k.UserVsNumerical, k.AutodiffVsNumerical, npzfile.Index(k.Shape, k.Worst), k.User, k.Autodiff)
	}
	tw.Flush()
	if err := npzfile.Verdict(checks, tol); err != nil {
		return err
	}
	fmt.Fprintf(w, "PASS: every gradient within %g of gtrain's autodiff\n", tol)
	return nil
}

// shapeText is 10×20 or 10.
func shapeText(shape []int) string {
	parts := make([]string, len(shape))
	for i, s := range shape {
		parts[i] = strconv.Itoa(s)
	}
	return strings.Join(parts, "×")
}
