package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/report"
	"github.com/gtrain/gtrain/models/rundir"
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
	rn := &sweep.Runner{Out: out, Devices: devices, Workers: c.Int("workers"), Stack: c.Int("stack"), Log: log, Cache: sweepData}
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
	if html == "" {
		return nil
	}
	return writeHTMLReport(html, "gtrain sweep "+st.Plan.Name, t, log)
}

// sweepRunOne trains run --index of the plan, as a Slurm array task does.
func sweepRunOne(c *cli.Context) error {
	p, devices, err := loadSweepOnDevices(c)
	if err != nil {
		return err
	}
	i := c.Int("index")
	if i < 0 || i >= len(p.Runs) {
		return fmt.Errorf("--index %d: the sweep %s has runs 0..%d", i, p.Name, len(p.Runs)-1)
	}
	r := &p.Runs[i]
	if want := c.String("expect-id"); want != "" && want != r.ID {
		return fmt.Errorf("run %d of %s is now %s, not %s: the sweep file (or --data) changed since the job was written; write it again with 'gtrain sweep slurm'", i, p.File, r.ID, want)
	}
	out := sweepOut(c, p)
	if _, err := sweep.ReadPlan(out); err != nil {
		if err := sweep.WritePlan(out, p); err != nil {
			return err
		}
	}
	device := r.Config.Device
	if devices != nil {
		device = devices[0]
	}
	fmt.Fprintf(c.App.ErrWriter, "run %d/%d %s  %s  on %s into %s\n", i, len(p.Runs), r.ID, r.Label(), device, sweep.RunDir(out, r))
	res, done, err := sweep.RunOne(c.Context, out, r, device, sweep.Train(sweepData), true)
	if errors.Is(err, sweep.ErrRunning) {
		// A double submission or a requeue: the run is that task's.
		fmt.Fprintf(c.App.ErrWriter, "%v: another task has it; nothing to do\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	if done {
		fmt.Fprintf(c.App.ErrWriter, "run %s was done already\n", r.ID)
	}
	return models.WriteResultBlock(c.App.Writer, &r.Config, res)
}
