package sweep

import (
	"fmt"
	"io"
	"strings"

	"github.com/gtrain/gtrain/models/expect"
)

// RunCheck is one run of a plan checked against its published figures.
type RunCheck struct {
	Run      *Run
	State    State
	Verdicts []expect.Verdict // nil when the run is not done or states no figure
}

// Misses returns the verdicts that fail the check.
func (rc *RunCheck) Misses() []expect.Verdict {
	var out []expect.Verdict
	for _, v := range rc.Verdicts {
		if v.Fails() {
			out = append(out, v)
		}
	}
	return out
}

// Check is the verdict of a sweep directory on its runs' published figures.
type Check struct {
	Plan *Plan
	Runs []RunCheck
}

// CheckStatus checks every done run of st against its figures.
func CheckStatus(st *Status) *Check {
	c := &Check{Plan: st.Plan}
	for _, rs := range st.Runs {
		rc := RunCheck{Run: rs.Run, State: rs.State}
		if rs.State == Done && len(rs.Run.Expect) > 0 {
			rc.Verdicts = expect.CheckAll(rs.Run.Expect, rs.Result)
		}
		c.Runs = append(c.Runs, rc)
	}
	return c
}

// Write prints one line per run: its mark, id and label, and the figures
// it misses or how many it reproduces; then a summary line.
func (c *Check) Write(w io.Writer) error {
	for i := range c.Runs {
		rc := &c.Runs[i]
		mark, text := "✓", ""
		switch {
		case len(rc.Run.Expect) == 0:
			mark, text = "-", "no published figures"
		case rc.State != Done:
			mark, text = "✗", fmt.Sprintf("no result (%s): %d figures unchecked", rc.State, len(rc.Run.Expect))
		default:
			var miss, unrep []string
			for _, v := range rc.Verdicts {
				switch {
				case v.Fails():
					miss = append(miss, v.String())
				case v.Unreproduced != "":
					unrep = append(unrep, v.Key)
				}
			}
			if len(miss) > 0 {
				mark = "✗"
				text = "misses " + strings.Join(miss, "; ")
			} else {
				text = fmt.Sprintf("%d of %d figures reproduced", len(rc.Verdicts)-len(unrep), len(rc.Verdicts))
			}
			if len(unrep) > 0 {
				text += fmt.Sprintf("; marked unreproduced: %s", strings.Join(unrep, ", "))
			}
		}
		if _, err := fmt.Fprintf(w, "%s %s  %s  %s\n", mark, rc.Run.ID, rc.Run.Label(), text); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, c.Summary())
	return err
}

// Summary is one line: "sweep dd2424-a1: 14 runs, 84 figures: 80
// reproduced, 0 missed, 4 marked unreproduced; 0 runs without a result".
func (c *Check) Summary() string {
	var figs, ok, missed, unrep, noResult int
	for i := range c.Runs {
		rc := &c.Runs[i]
		figs += len(rc.Run.Expect)
		if len(rc.Run.Expect) > 0 && rc.State != Done {
			noResult++
		}
		for _, v := range rc.Verdicts {
			switch {
			case v.Fails():
				missed++
			case v.Unreproduced != "":
				unrep++
			default:
				ok++
			}
		}
	}
	return fmt.Sprintf("sweep %s: %d runs, %d figures: %d reproduced, %d missed, %d marked unreproduced; %d runs without a result",
		c.Plan.Name, len(c.Runs), figs, ok, missed, unrep, noResult)
}

// Err is nil when every run with figures is done and reproduces each
// figure not marked unreproduced; else it names the runs that miss and
// those without a result. A plan that states no figure is an error too: a
// check of nothing would pass.
func (c *Check) Err() error {
	var miss, none []string
	figs := 0
	for i := range c.Runs {
		rc := &c.Runs[i]
		figs += len(rc.Run.Expect)
		name := rc.Run.ID
		if l := rc.Run.Label(); l != "" {
			name += " (" + l + ")"
		}
		switch {
		case len(rc.Run.Expect) == 0:
		case rc.State != Done:
			none = append(none, name)
		case len(rc.Misses()) > 0:
			miss = append(miss, name)
		}
	}
	if figs == 0 {
		return fmt.Errorf("sweep %s: no run states published figures (expect:), nothing to check", c.Plan.Name)
	}
	var parts []string
	if len(miss) > 0 {
		parts = append(parts, fmt.Sprintf("%d runs miss their figures: %s", len(miss), strings.Join(miss, ", ")))
	}
	if len(none) > 0 {
		parts = append(parts, fmt.Sprintf("%d runs have no result: %s", len(none), strings.Join(none, ", ")))
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("sweep %s: %s", c.Plan.Name, strings.Join(parts, "; "))
}
