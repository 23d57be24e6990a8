package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/report"
	"github.com/gtrain/gtrain/models/rundir"
	"github.com/gtrain/gtrain/models/runfiles"
	"github.com/gtrain/gtrain/models/sweep"
)

// sweepData holds the datasets of this process's sweep runs: each is read
// and normalized once, however many runs share it.
var sweepData = rundir.NewDataCache(models.LoadSplits)

// sweepRun trains every run of the plan that is not done, on the devices
// in parallel, then prints the sweep's status and report.
func sweepRun(c *cli.Context) error {
	p, devices, err := loadSweepOnDevices(c)
	if err != nil {
		return err
	}
	if devices == nil {
		devices = planDevices(p)
	}
	out := sweepOut(c, p)
	log := c.App.ErrWriter
	if c.Bool("quiet") {
		log = io.Discard
	}
	if c.Int("stack") < 1 {
		return fmt.Errorf("--stack %d: want at least 1 (1 trains each run alone)", c.Int("stack"))
	}
	rn := &sweep.Runner{Out: out, Devices: devices, Workers: c.Int("workers"), Stack: c.Int("stack"), Log: log, Cache: sweepData, Memory: memoryBudget()}
	if w := c.Int("workers"); w > 1 && devices[0] == "cpu" {
		// Each worker's products on its share of the cores: a stack split
		// over all of them would take them from the other workers.
		graph.UseBLAS(graph.BLASOptions{Threads: max(1, runtime.GOMAXPROCS(0)/w)})
		defer graph.UseBLAS(graph.BLASOptions{})
	}
	_, runErr := rn.Execute(c.Context, p)
	if errors.Is(runErr, context.Canceled) {
		fmt.Fprintf(c.App.ErrWriter, "interrupted: the same command finishes the sweep (%s)\n", out)
		return runErr
	}
	st := sweep.StatusPlan(out, p)
	if err := st.Write(c.App.Writer); err != nil {
		return err
	}
	html := c.String("html")
	if html == "" {
		html = filepath.Join(out, "report.html")
	}
	if c.Bool("no-html") {
		html = ""
	}
	if err := sweepReport(c.App.Writer, c.App.ErrWriter, st, out, html); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

// sweepReport prints the comparison table of the sweep's finished runs,
// in plan order, one table per loss (the report's tables), and writes the
// HTML report with their pictures to html unless it is "".
func sweepReport(stdout, log io.Writer, st *sweep.Status, out, html string) error {
	var runs []*report.Run
	for _, rs := range st.Runs {
		if rs.State != sweep.Done {
			continue
		}
		r, err := report.ReadRun(sweep.RunDir(out, rs.Run))
		if err != nil {
			return err
		}
		r.Label, r.Expect = rs.Run.Label(), rs.Run.Expect
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return nil
	}
	t := report.NewTable(runs)
	fmt.Fprintln(stdout)
	if err := writeTable(stdout, t, "markdown"); err != nil {
		return err
	}
	if err := writeExpectTable(stdout, runs, "markdown"); err != nil {
		return err
	}
	if slices.ContainsFunc(st.Runs, func(rs sweep.RunStatus) bool { return len(rs.Run.Expect) > 0 }) {
		fmt.Fprintf(stdout, "\n%s (the verdict: gtrain sweep check %s)\n", sweep.CheckStatus(st).Summary(), out)
	}
	if html == "" {
		return nil
	}
	return writeHTMLReport(html, "gtrain sweep "+st.Plan.Name, t, log)
}

// sweepRunOne trains run --index of the plan, as a Slurm array task does;
// a list of indices (a stack of the script) is trained as one stack.
func sweepRunOne(c *cli.Context) error {
	p, devices, err := loadSweepOnDevices(c)
	if err != nil {
		return err
	}
	idx, err := parseIndices(c.String("index"), len(p.Runs), p.Name)
	if err != nil {
		return err
	}
	var want []string
	if s := c.String("expect-id"); s != "" {
		if want = strings.Split(s, ","); len(want) != len(idx) {
			return fmt.Errorf("--expect-id names %d runs, --index %d", len(want), len(idx))
		}
	}
	rs := make([]*sweep.Run, len(idx))
	for j, i := range idx {
		rs[j] = &p.Runs[i]
		if want != nil && want[j] != rs[j].ID {
			return fmt.Errorf("run %d of %s is now %s, not %s: the sweep file (or --data) changed since the job was written; write it again with 'gtrain sweep slurm'", i, p.File, rs[j].ID, want[j])
		}
	}
	out := sweepOut(c, p)
	if _, err := sweep.ReadPlan(out); err != nil {
		if err := sweep.WritePlan(out, p); err != nil {
			return err
		}
	}
	device := rs[0].Config.Device
	if devices != nil {
		device = devices[0]
	}
	var res []*runfiles.Result
	var done []bool
	var errs []error
	for j, r := range rs {
		fmt.Fprintf(c.App.ErrWriter, "run %d/%d %s  %s  on %s into %s\n", idx[j], len(p.Runs), r.ID, r.Label(), device, sweep.RunDir(out, r))
	}
	if len(rs) == 1 {
		r, d, err := sweep.RunOne(c.Context, out, rs[0], device, sweep.Train(sweepData, memoryBudget()), true)
		res, done, errs = []*runfiles.Result{r}, []bool{d}, []error{err}
	} else {
		fmt.Fprintf(c.App.ErrWriter, "the %d runs train as one stack\n", len(rs))
		res, done, errs = sweep.RunStack(c.Context, out, rs, device, sweep.TrainStack(sweepData, memoryBudget()), true)
	}
	var failed []error
	for j, r := range rs {
		switch err := errs[j]; {
		case errors.Is(err, sweep.ErrRunning):
			// A double submission or a requeue: the run is that task's.
			fmt.Fprintf(c.App.ErrWriter, "%v: another task has it; nothing to do\n", err)
		case err != nil:
			failed = append(failed, fmt.Errorf("run %s: %w", r.ID, err))
		default:
			if done[j] {
				fmt.Fprintf(c.App.ErrWriter, "run %s was done already\n", r.ID)
			}
			if err := runfiles.WriteResultBlock(c.App.Writer, &r.Config, res[j]); err != nil {
				return err
			}
		}
	}
	return errors.Join(failed...)
}

// parseIndices reads --index: one run index or a comma-separated list.
func parseIndices(s string, n int, name string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("--index %q: want a run index or a comma-separated list of them", s)
		}
		if i < 0 || i >= n {
			return nil, fmt.Errorf("--index %d: the sweep %s has runs 0..%d", i, name, n-1)
		}
		if seen[i] {
			return nil, fmt.Errorf("--index %q: run %d twice", s, i)
		}
		seen[i] = true
		out = append(out, i)
	}
	return out, nil
}
