package runfiles

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gtrain/gtrain/models/config"
)

// WriteResultBlock prints the run in the format of the report's result
// blocks: the model parameters, then for the training, validation and test
// data the accuracy before and after training and the final cost.
func WriteResultBlock(w io.Writer, cfg *config.Config, res *Result) error {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	params := [][2]string{{"loss", cfg.Loss}, {"lambda", g(cfg.Lambda)}}
	if cfg.Schedule != "cyclic" {
		params = append(params, [2]string{"eta", g(cfg.Eta)})
	}
	if cfg.Cycles > 0 {
		params = append(params, [2]string{"n_cycles", strconv.Itoa(cfg.Cycles)})
	} else {
		params = append(params, [2]string{"n_epochs", strconv.Itoa(cfg.Epochs)})
	}
	params = append(params, [2]string{"n_batch", strconv.Itoa(cfg.Batch)})
	if len(cfg.Hidden) > 0 {
		params = append(params, [2]string{"hidden", cfg.Network()}, [2]string{"init", string(cfg.WeightInit())})
	}
	if cfg.L2 == "half" {
		params = append(params, [2]string{"l2", "half (lambda/2 * ||W||^2)"})
	}
	if cfg.Decay != 1 {
		params = append(params, [2]string{"decay", g(cfg.Decay)})
	}
	switch cfg.Schedule {
	case "step":
		params = append(params, [2]string{"schedule", fmt.Sprintf("step ×%s every %d epochs", g(cfg.StepGamma), cfg.StepEvery)})
	case "cyclic":
		params = append(params, [2]string{"schedule", fmt.Sprintf("cyclic %s..%s, %d steps per half cycle", g(cfg.EtaMin), g(cfg.EtaMax), cfg.CycleSteps)})
	}
	if cfg.Shuffle {
		params = append(params, [2]string{"shuffle", "true"})
	}
	if len(cfg.Augment) > 0 {
		a := strings.Join(cfg.Augment, " ")
		if cfg.AugmentInPlace {
			a += " (in place, accumulating over the epochs)"
		}
		params = append(params, [2]string{"augment", a})
	}
	if cfg.EarlyStop > 0 {
		params = append(params, [2]string{"early_stop", strconv.Itoa(cfg.EarlyStop)})
	}
	if len(cfg.Data.Train) != 1 || cfg.Data.ValHoldout > 0 {
		params = append(params, [2]string{"train", fmt.Sprintf("%s (validation: last %d)", strings.Join(cfg.Data.Train, ","), cfg.Data.ValHoldout)})
	}
	params = append(params, [2]string{"dtype", cfg.Dtype}, [2]string{"seed", strconv.FormatUint(cfg.Seed, 10)})
	if _, err := fmt.Fprintln(w, "Model parameters:"); err != nil {
		return err
	}
	for _, kv := range params {
		fmt.Fprintf(w, "  %-10s %s\n", kv[0]+":", kv[1])
	}
	for _, s := range []struct{ key, title string }{{"train", "Training data"}, {"val", "Validation data"}, {"test", "Test data"}} {
		r := res.Splits[s.key]
		fmt.Fprintf(w, "%s:\n", s.title)
		fmt.Fprintf(w, "  %-22s %6.2f%%\n", "accuracy (untrained):", 100*r.AccuracyUntrained)
		fmt.Fprintf(w, "  %-22s %6.2f%%\n", "accuracy (trained):", 100*r.AccuracyTrained)
		if _, err := fmt.Fprintf(w, "  %-22s %6.2f\n", "cost (final):", r.CostTrained); err != nil {
			return err
		}
	}
	return nil
}
