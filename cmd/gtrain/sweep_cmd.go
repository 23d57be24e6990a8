package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/sweep"
)

// sweepCommand is the sweep command tree and its flags; the actions are in
// sweep_plan.go, sweep_run.go and sweep_slurm.go, status below.
func sweepCommand() *cli.Command {
	dataFlag := &cli.StringFlag{Name: "data", Usage: "CIFAR-10 for every run, over the file's data.dir (default: the file's, else $CIFAR10_DIR, else the data 'gtrain data download' put in the cache directory)"}
	devicesFlag := &cli.StringFlag{Name: "devices", Aliases: []string{"device"}, Usage: "where runs train: cpu, or GPUs as cuda:0,1 (each with its own workers; default: gtrain --device when given, else the file's)"}
	outFlag := &cli.StringFlag{Name: "out", Usage: "the sweep directory: one run directory per run id (default sweeps/<sweep name>)"}
	stackFlag := &cli.IntFlag{Name: "stack", Value: sweep.DefaultStack, Usage: "train up to `N` runs that share every mini-batch (data, dtype, batch, shuffle, seed, augmentation) as one stacked graph; 1: each run alone"}
	gridFlag := &cli.GenericFlag{Name: "grid", Value: &gridAxes{}, Usage: "instead of a sweep file, the grid `key=v1,v2,…` over the defaults (repeat it for more axes: --grid lambda=0,0.1 --grid eta=0.001,0.01)"}
	maxRunsFlag := &cli.IntFlag{Name: "max-runs", Value: sweep.DefaultMaxRuns, Usage: "refuse a sweep file of more runs than `N` (counted before they are expanded)"}
	cmd := &cli.Command{
		Name:  "sweep",
		Usage: "run many trainings from one sweep file: locally in parallel, or as a Slurm job array",
		Description: "A sweep file is a config file (the keys of config.json) with a grid: of value lists\n" +
			"(every combination is a run), runs: (a list of overrides, each a run, each may have its\n" +
			"own grid:) and repeats: N (every run N times, seeds seed..seed+N-1). Each run has a\n" +
			"stable id, the short hash of its configuration, and its run directory DIR/<id>; a run\n" +
			"whose result.json matches its config.json is done and never trained again, so an\n" +
			"interrupted sweep finishes by running the same command again.",
		Subcommands: []*cli.Command{
			{
				Name:      "plan",
				Usage:     "print the runs of a sweep file with their ids",
				ArgsUsage: "FILE",
				Flags: []cli.Flag{dataFlag, devicesFlag, maxRunsFlag, stackFlag, gridFlag,
					&cli.IntFlag{Name: "workers", Usage: "the stacks as 'sweep run --workers N' makes them (default: one per device)"},
					&cli.BoolFlag{Name: "json", Usage: "print the plan with every run's resolved configuration as JSON"}},
				Action: sweepPlan,
			},
			{
				Name:      "run",
				Usage:     "run every run of a sweep that is not done, in parallel",
				ArgsUsage: "FILE",
				Flags: []cli.Flag{dataFlag, devicesFlag, outFlag, maxRunsFlag, stackFlag, gridFlag,
					&cli.IntFlag{Name: "workers", Usage: "runs at once, spread over the devices (default: one per device)"},
					&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress lines"},
					&cli.StringFlag{Name: "html", Usage: "the HTML report of the sweep's runs (default DIR/report.html)"},
					&cli.BoolFlag{Name: "no-html", Usage: "write no HTML report"},
				},
				Action: sweepRun,
			},
			{
				Name:      "run-one",
				Usage:     "train run --index of a sweep (a Slurm array task runs this)",
				ArgsUsage: "FILE",
				Flags: []cli.Flag{dataFlag, devicesFlag, outFlag, maxRunsFlag,
					&cli.StringFlag{Name: "index", Required: true, Usage: "the run's index in the plan, or a comma-separated list of runs to train as one stack (a Slurm task of a stacked sweep)"},
					&cli.StringFlag{Name: "expect-id", Usage: "refuse unless the runs of --index have these ids, comma-separated (the file changed since the job was submitted)"},
				},
				Action: sweepRunOne,
			},
			{
				Name:      "slurm",
				Usage:     "write (and with --submit, submit) an sbatch job array whose task i runs run i",
				ArgsUsage: "FILE",
				Flags: []cli.Flag{dataFlag, outFlag, maxRunsFlag, stackFlag,
					&cli.StringFlag{Name: "partition", Usage: "Slurm partition (default: the cluster's)"},
					&cli.IntFlag{Name: "gpus-per-task", Usage: "GPUs of each task; > 0 trains on cuda:0 of the task"},
					&cli.IntFlag{Name: "cpus-per-task", Usage: "CPUs of each task (default: the cluster's)"},
					&cli.StringFlag{Name: "mem", Usage: "memory of each task, e.g. 4G (default: the cluster's)"},
					&cli.StringFlag{Name: "time", Usage: "time limit of each task, e.g. 02:00:00"},
					&cli.IntFlag{Name: "max-parallel", Usage: "tasks running at once (default: no limit)"},
					&cli.StringFlag{Name: "gtrain", Usage: "the gtrain binary as the nodes see it (default: this one)"},
					&cli.BoolFlag{Name: "all", Usage: "every run, also those done or running (default: only failed and missing ones)"},
					&cli.BoolFlag{Name: "submit", Usage: "submit the script with sbatch and print the job id"},
				},
				Action: sweepSlurm,
			},
			{
				Name:      "status",
				Usage:     "show which runs of a sweep directory are done, running, failed or missing",
				ArgsUsage: "DIR",
				Action:    sweepStatus,
			},
			{
				Name:      "check",
				Usage:     "check a sweep directory's runs against their published figures (expect:); non-zero exit when one misses",
				ArgsUsage: "DIR",
				Description: "Prints one line per run of the plan: ✓ when every figure it states is reproduced\n" +
					"(within its tolerance, or on its bound's side), ✗ with the figures it misses, or ✗ when\n" +
					"it has no result yet; figures marked unreproduced are shown but do not fail. Exits\n" +
					"non-zero naming each run that misses or lacks a result.",
				Action: sweepCheck,
			},
		},
	}
	return cmd
}

// loadSweepOnDevices is loadSweep on the devices of --devices (nil when
// it is not given).
func loadSweepOnDevices(c *cli.Context) (*sweep.Plan, []string, error) {
	devices, err := devicesOf(c)
	if err != nil {
		return nil, nil, err
	}
	p, err := loadSweep(c, devices)
	return p, devices, err
}

// loadSweep expands the sweep file named by the command's argument, with
// the command line over the file: --data for every run's data.dir and
// --devices (or gpus) for its device kind.
func loadSweep(c *cli.Context, devices []string) (*sweep.Plan, error) {
	var grid []string
	if g, ok := c.Generic("grid").(*gridAxes); ok && g != nil {
		grid = *g
	}
	switch {
	case len(grid) > 0 && c.NArg() > 0:
		return nil, fmt.Errorf("--grid makes a sweep of its own: give either a sweep file or --grid")
	case len(grid) == 0 && c.NArg() != 1:
		return nil, fmt.Errorf("want one sweep file (or --grid key=v1,v2,…), got %d arguments", c.NArg())
	}
	base := config.DefaultConfig()
	base.Data.Dir = defaultDataDir()
	var dataDir string
	if c.IsSet("data") {
		dataDir = absPath(c.String("data"))
	}
	if c.Int("max-runs") < 1 {
		return nil, fmt.Errorf("--max-runs %d: must be ≥ 1", c.Int("max-runs"))
	}
	opt := sweep.Options{Base: base, MaxRuns: c.Int("max-runs"), Override: func(cfg *config.Config) {
		if dataDir != "" {
			cfg.Data.Dir = dataDir
		}
		if devices != nil {
			cfg.Device = sweep.DeviceKind(devices[0])
		}
	}}
	// A plan this large takes a while to expand: say so first.
	opt.Counted = func(n int) {
		if n >= bigPlan {
			fmt.Fprintf(c.App.ErrWriter, "expanding %d runs of %s\n", n, c.Args().First())
		}
	}
	var p *sweep.Plan
	var err error
	if len(grid) > 0 {
		p, err = sweep.GridPlan(c.Context, grid, opt)
	} else {
		p, err = sweep.LoadContext(c.Context, c.Args().First(), opt)
	}
	var tooMany *sweep.TooManyRunsError
	if errors.As(err, &tooMany) {
		return nil, fmt.Errorf("%w (--max-runs N raises the limit)", err)
	}
	return p, err
}

// bigPlan is the number of runs from which loadSweep says it is expanding.
const bigPlan = 100000

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// devicesOf reads --devices (or --device), else the global --device (or
// $GTRAIN_DEVICE); nil when none is given.
func devicesOf(c *cli.Context) ([]string, error) {
	if c.IsSet("devices") {
		return sweep.ParseDevices(c.String("devices"))
	}
	dev, given := givenDevice(c)
	if !given {
		return nil, nil
	}
	if dev == "auto" {
		var err error
		if dev, err = checkDevice(dev, c.App.ErrWriter); err != nil {
			return nil, err
		}
	}
	return sweep.ParseDevices(dev)
}

// planDevices are the devices of the runs when --devices is not given.
func planDevices(p *sweep.Plan) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range p.Runs {
		if !seen[r.Config.Device] {
			seen[r.Config.Device] = true
			out = append(out, r.Config.Device)
		}
	}
	return out
}

func sweepOut(c *cli.Context, p *sweep.Plan) string {
	if out := c.String("out"); out != "" {
		return absPath(out)
	}
	return absPath(filepath.Join("sweeps", p.Name))
}

// sweepStatus prints the state of each run of a sweep directory.
func sweepStatus(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("want one sweep directory, got %d arguments", c.NArg())
	}
	st, err := sweep.StatusDir(c.Args().First())
	if err != nil {
		return err
	}
	return st.Write(c.App.Writer)
}

// gridAxes collects --grid's axes as given: a StringSliceFlag would split
// "lambda=0,0.1" at its commas.
type gridAxes []string

func (g *gridAxes) Set(v string) error { *g = append(*g, v); return nil }
func (g *gridAxes) String() string {
	if g == nil {
		return ""
	}
	return strings.Join(*g, " ")
}
