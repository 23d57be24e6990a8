package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/sweep"
)

// sweepSlurm writes the sbatch script of a job array whose task i runs
// 'gtrain sweep run-one --index i' (or a stack of runs, --stack), and with
// --submit submits it.
func sweepSlurm(c *cli.Context) error {
	var devices []string
	if c.Int("gpus-per-task") > 0 {
		devices = []string{"cuda:0"}
	} else {
		devices = []string{"cpu"}
	}
	p, err := loadSweep(c, devices)
	if err != nil {
		return err
	}
	out := sweepOut(c, p)
	if err := os.MkdirAll(filepath.Join(out, "slurm"), 0o755); err != nil {
		return err
	}
	if err := sweep.WritePlan(out, p); err != nil {
		return err
	}
	var indices []int
	if !c.Bool("all") {
		st := sweep.StatusPlan(out, p)
		indices = st.Incomplete()
		if len(indices) == 0 {
			fmt.Fprintf(c.App.Writer, "sweep %s: nothing to submit: %s\n", p.Name, st.Summary())
			return nil
		}
	}
	bin := c.String("gtrain")
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return fmt.Errorf("finding this gtrain binary: %w (give --gtrain)", err)
		}
	}
	opt := sweep.SlurmOptions{
		Gtrain: absPath(bin), File: p.File, Out: out, Indices: indices,
		Partition: c.String("partition"), GPUsPerTask: c.Int("gpus-per-task"), CPUsPerTask: c.Int("cpus-per-task"),
		Memory: c.String("mem"), Time: c.String("time"), MaxParallel: c.Int("max-parallel"),
		Stack: c.Int("stack"),
	}
	if opt.Stack < 1 {
		return fmt.Errorf("--stack %d: want at least 1 (1 gives each run its own task)", opt.Stack)
	}
	if !engine.Stacks(devices[0]) {
		opt.Stack = 1
	}
	// The tasks see the data as this command did.
	if d := defaultDataDir(); d != "" {
		opt.Env = append(opt.Env, "CIFAR10_DIR="+d)
	}
	if c.IsSet("data") {
		opt.RunOneArgs = append(opt.RunOneArgs, "--data", absPath(c.String("data")))
	}
	// The tasks expand the file again: under the same limit.
	if c.IsSet("max-runs") {
		opt.RunOneArgs = append(opt.RunOneArgs, "--max-runs", strconv.Itoa(c.Int("max-runs")))
	}
	script, err := sweep.SlurmScript(p, opt)
	if err != nil {
		return err
	}
	path := filepath.Join(out, sweep.SlurmScriptName)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return err
	}
	all := indices
	if all == nil {
		for i := range p.Runs {
			all = append(all, i)
		}
	}
	n := len(sweep.Stacks(p.Runs, all, opt.Stack)) // tasks: runs, or stacks of them
	fmt.Fprintf(c.App.ErrWriter, "wrote %s: a job array of %d tasks (array %s)\n", path, n, arrayOf(script))
	if !c.Bool("submit") {
		fmt.Fprintf(c.App.ErrWriter, "submit it with: sbatch %s\n", path)
		return nil
	}
	id, err := sweep.Submit(c.Context, "", path)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, id)
	fmt.Fprintf(c.App.ErrWriter, "submitted job %s; follow it with: gtrain sweep status %s\n", id, out)
	return nil
}

// arrayOf returns the --array of the script, for the message.
func arrayOf(script string) string {
	for _, line := range strings.Split(script, "\n") {
		if v, ok := strings.CutPrefix(line, "#SBATCH --array="); ok {
			return v
		}
	}
	return "?"
}
