package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/models/report"
	"github.com/gtrain/gtrain/models/sweep"
)

// sweepCheck is 'gtrain sweep check DIR': one line per run of the plan
// against its published figures, and an error naming the runs that miss.
func sweepCheck(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("want one sweep directory, got %d arguments", c.NArg())
	}
	st, err := sweep.StatusDir(c.Args().First())
	if err != nil {
		return err
	}
	chk := sweep.CheckStatus(st)
	if err := chk.Write(c.App.Writer); err != nil {
		return err
	}
	return chk.Err()
}

// attachPlans gives each run directory that lies in a sweep directory (its
// parent holds sweep.json) its label and published figures from the plan.
func attachPlans(runs []*report.Run) error {
	plans := map[string]*sweep.Plan{}
	for _, r := range runs {
		abs, err := filepath.Abs(r.Dir)
		if err != nil {
			return err
		}
		parent := filepath.Dir(abs)
		p, seen := plans[parent]
		if !seen {
			if _, err := os.Stat(filepath.Join(parent, sweep.PlanFile)); errors.Is(err, fs.ErrNotExist) {
				plans[parent] = nil
				continue
			}
			if p, err = sweep.ReadPlan(parent); err != nil {
				return err
			}
			plans[parent] = p
		}
		if p == nil {
			continue
		}
		if run, ok := p.ByID(filepath.Base(abs)); ok {
			r.Label, r.Expect = run.Label(), run.Expect
		}
	}
	return nil
}

// writeExpectTable prints the published-vs-measured table of the runs that
// state figures, after a blank line; nothing when none does, or for CSV
// (whose output stays one table).
func writeExpectTable(w io.Writer, runs []*report.Run, format string) error {
	t := report.NewExpectTable(runs)
	if t == nil || format == "csv" {
		return nil
	}
	fmt.Fprintf(w, "\n### published and measured\n\n")
	return t.WriteMarkdown(w)
}
