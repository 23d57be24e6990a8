package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
)

// gradcheckNetwork is gradcheck for a k-layer network (--hidden,
// --batch-norm): the three gradients of every trained tensor, compared
// pairwise, one row per tensor. Autodiff and the hand-derived gradient
// agree to rounding (1e-12) and must within --tol; the numerical gradient
// through k layers carries absolute errors near 1e-10 (the costs' rounding
// over 2h, amplified by the layers), large relative errors on entries of
// 1e-6, so it is held to --tol-numerical (1e-4; 2.5e-5 measured on
// 100-50-50-10 BN). Unless set, the step is the course's 1e-5 and the
// floor 1e-8.
func gradcheckNetwork(c *cli.Context, dev string, splits *data.Splits, dims, samples int, cfg graph.GradCheckConfig, tol float64) error {
	if !c.IsSet("step") {
		cfg.H = 1e-5
	}
	if !c.IsSet("floor") {
		cfg.Floor = 1e-8
	}
	tolNum := c.Float64("tol-numerical")
	if !(tolNum > 0) {
		return fmt.Errorf("--tol-numerical %v: must be a number > 0", tolNum)
	}
	if dev != "cpu" {
		return fmt.Errorf("--device %s: the gradient check of k-layer networks runs on the cpu only", dev)
	}
	hidden, err := graph.ParseWidths(c.String("hidden"))
	if err != nil {
		return fmt.Errorf("--hidden: %w", err)
	}
	arch := graph.Arch{In: dims, Out: data.NumClasses, Hidden: hidden, BatchNorm: c.Bool("batch-norm")}
	if err := arch.Check(); err != nil {
		return fmt.Errorf("--hidden/--batch-norm: %w", err)
	}
	init, err := graph.ParseInit(c.String("init"))
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	check, err := graph.ForDtype(c.String("dtype"), networkGradients[float32], networkGradients[float64])
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	gs, err := check(splits, arch, init, samples, c.Uint64("seed"), cfg)
	if err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "gradient check: %s, loss %s, lambda %g, %d samples, init %s, %s, h %g (%s), floor %g\n",
		arch, cfg.Loss, cfg.Lambda, samples, init, c.String("dtype"), cfg.H, cfg.Method, cfg.Floor)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "tensor\tautodiff vs analytic\tautodiff vs numerical\tanalytic vs numerical\t")
	var failed []string
	for _, r := range gs.Compare(cfg.Floor) {
		fmt.Fprintf(tw, "%s\t%.3g\t%.3g\t%.3g\t\n", r.Name, r.AutoAnalytic, r.AutoNumeric, r.AnalyticNumeric)
		if !(r.AutoAnalytic <= tol) {
			failed = append(failed, fmt.Sprintf("%s autodiff vs analytic %.3g > --tol %g", r.Name, r.AutoAnalytic, tol))
		}
		if num := max(r.AutoNumeric, r.AnalyticNumeric); !(num <= tolNum) {
			failed = append(failed, fmt.Sprintf("%s vs numerical %.3g > --tol-numerical %g", r.Name, num, tolNum))
		}
	}
	tw.Flush()
	if len(failed) > 0 {
		return fmt.Errorf("gradient check failed: %s", strings.Join(failed, "; "))
	}
	fmt.Fprintf(w, "PASS: autodiff vs analytic ≤ %g, against the numerical gradient ≤ %g\n", tol, tolNum)
	return nil
}

// networkGradients draws a network of arch from seed and computes its three
// gradients on the first samples images (their first arch.In dimensions) of
// the normalized training batch.
func networkGradients[T graph.Float](splits *data.Splits, arch graph.Arch, init graph.Init, samples int, seed uint64, cfg graph.GradCheckConfig) (*graph.Gradients, error) {
	train := splits.Train.Slice(0, samples)
	nz := data.FitNormalizer(splits.Train)
	full := make([]T, len(train.Pixels))
	data.Normalize(full, train.Pixels, nz)
	b := graph.Batch[T]{X: make([]T, samples*arch.In), Labels: train.Labels}
	for i := 0; i < samples; i++ {
		copy(b.X[i*arch.In:(i+1)*arch.In], full[i*data.ImageSize:])
	}
	p, err := graph.NewMLPParams[T](arch)
	if err != nil {
		return nil, err
	}
	if err := p.Init(rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), init); err != nil {
		return nil, err
	}
	return graph.MLPGradients(p, b, cfg)
}
