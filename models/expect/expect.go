// Package expect holds the published figures a run should reproduce (a
// report's table, a course's expected accuracy) and checks a run's result
// against them. A sweep file states them under expect: (package sweep reads
// them with Parse); they travel in the plan (sweep.json), not in the run's
// configuration, so they change neither its hash nor its id. The tables of
// package report show them beside the measured figures and `gtrain sweep
// check` gives the verdict.
//
// A figure is a split's accuracy (in %, as reports write it) or cost, and
// either a value with a tolerance (|measured − value| ≤ within), a lower
// bound (at_least) or an upper bound (at_most). A figure that no
// principled reading reproduces can be marked unreproduced with the
// reason: it is shown with its mark, and does not fail the check.
package expect

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gtrain/gtrain/models/runfiles"
)

// Keys are the figures a run may be expected to reproduce, in table order:
// a split of result.json (train, val, test) and a measure.
var Keys = []string{
	"train_accuracy", "val_accuracy", "test_accuracy",
	"train_cost", "val_cost", "test_cost",
}

// Bounds of a figure.
const (
	Within  = ""         // |measured − Value| ≤ Tol
	AtLeast = "at_least" // measured ≥ Value
	AtMost  = "at_most"  // measured ≤ Value
)

// Figure is one published figure of a run.
type Figure struct {
	Key   string  `json:"key"`   // one of Keys
	Value float64 `json:"value"` // the published figure: an accuracy in %, a cost as is
	Bound string  `json:"bound,omitempty"`
	Tol   float64 `json:"within,omitempty"` // Bound Within: the largest |measured − Value| that passes
	// Unreproduced, when set, is why no principled reading reproduces
	// the figure: it is shown and marked, and does not fail the check.
	Unreproduced string `json:"unreproduced,omitempty"`
	Line         int    `json:"line,omitempty"` // where the sweep file states it
}

// split and measure of a figure's key: "test_accuracy" → "test", "accuracy".
func (f Figure) split() (string, string) {
	s, m, _ := strings.Cut(f.Key, "_")
	return s, m
}

// IsAccuracy reports whether the figure is an accuracy (in %).
func (f Figure) IsAccuracy() bool {
	_, m := f.split()
	return m == "accuracy"
}

// Measured returns the figure in res: the trained network's accuracy in %
// or its cost on the split; NaN when res is nil or lacks the split.
func (f Figure) Measured(res *runfiles.Result) float64 {
	if res == nil {
		return math.NaN()
	}
	split, measure := f.split()
	s, ok := res.Splits[split]
	if !ok {
		return math.NaN()
	}
	if measure == "accuracy" {
		return 100 * s.AccuracyTrained
	}
	return s.CostTrained
}

// Published is the figure as stated: "39.01 ± 1", "≥ 51", "≤ 1.9".
func (f Figure) Published() string {
	v := f.format(f.Value)
	switch f.Bound {
	case AtLeast:
		return "≥ " + v
	case AtMost:
		return "≤ " + v
	}
	return v + " ± " + strconv.FormatFloat(f.Tol, 'g', -1, 64)
}

// format writes a figure's value as reports write it: accuracies (in %)
// with two decimals, costs with four, trailing zeros beyond two dropped.
func (f Figure) format(v float64) string {
	if f.IsAccuracy() {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	s := strconv.FormatFloat(v, 'f', 4, 64)
	for strings.HasSuffix(s, "0") && len(s)-strings.IndexByte(s, '.') > 3 {
		s = s[:len(s)-1]
	}
	return s
}

// Verdict is a figure checked against a result.
type Verdict struct {
	Figure
	Measured float64 // NaN: the result lacks it
	Diff     float64 // Measured − Value
	Pass     bool    // within the tolerance, or on the bound's side
}

// Check checks the figure against res.
func (f Figure) Check(res *runfiles.Result) Verdict {
	m := f.Measured(res)
	v := Verdict{Figure: f, Measured: m, Diff: m - f.Value}
	switch {
	case math.IsNaN(m):
	case f.Bound == AtLeast:
		v.Pass = m >= f.Value
	case f.Bound == AtMost:
		v.Pass = m <= f.Value
	default:
		// The published figure is rounded (39.01 % of 10000 images), so
		// the tolerance is compared at that precision, not in the bits
		// of the difference.
		v.Pass = math.Abs(v.Diff) <= f.Tol+1e-9*math.Max(1, math.Abs(f.Value))
	}
	return v
}

// Fails reports whether the verdict fails a check: it misses and the
// figure is not marked unreproduced.
func (v Verdict) Fails() bool { return !v.Pass && v.Unreproduced == "" }

// Mark is ✓ for a figure that passes, ✗ for one that misses; a figure
// marked unreproduced gets "✗ unreproduced" (or "✓ unreproduced" when it
// passes after all).
func (v Verdict) Mark() string {
	m := "✗"
	if v.Pass {
		m = "✓"
	}
	if v.Unreproduced != "" {
		m += " unreproduced"
	}
	return m
}

// MeasuredText is the measured figure as the published one is written, ""
// when missing.
func (v Verdict) MeasuredText() string {
	if math.IsNaN(v.Measured) {
		return ""
	}
	return v.format(v.Measured)
}

// DiffText is the signed difference "+0.32", "−1.55", "" when missing.
func (v Verdict) DiffText() string {
	if math.IsNaN(v.Diff) {
		return ""
	}
	s := v.format(math.Abs(v.Diff))
	if v.Diff < 0 && strings.Trim(s, "0.") != "" {
		return "−" + s
	}
	return "+" + s
}

// String is the verdict in one phrase: "test_accuracy 39.01 ± 1: 39.05
// (+0.04) ✓".
func (v Verdict) String() string {
	m := v.MeasuredText()
	if m == "" {
		return fmt.Sprintf("%s %s: not measured ✗", v.Key, v.Published())
	}
	return fmt.Sprintf("%s %s: %s (%s) %s", v.Key, v.Published(), m, v.DiffText(), v.Mark())
}

// CheckAll checks every figure against res, in the order given.
func CheckAll(figs []Figure, res *runfiles.Result) []Verdict {
	out := make([]Verdict, len(figs))
	for i, f := range figs {
		out[i] = f.Check(res)
	}
	return out
}
