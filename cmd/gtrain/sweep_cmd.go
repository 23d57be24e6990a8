package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/report"
	"github.com/gtrain/gtrain/models/sweep"
)

// sweepData holds the datasets of this process's sweep runs: each is read
// and normalized once, however many runs share it.
var sweepData = sweep.NewDataCache(models.LoadSplits)

func sweepCommand() *cli.Command {
	dataFlag := &cli.StringFlag{Name: "data", Usage: "CIFAR-10 for every run, over the file's data.dir (default: the file's, else $CIFAR10_DIR, else the data 'gtrain data download' put in the cache directory)"}
	devicesFlag := &cli.StringFlag{Name: "devices", Aliases: []string{"device"}, Usage: "where runs train: cpu, or GPUs as cuda:0,1 (each with its own workers; default: gtrain --device when given, else the file's)"}
	outFlag := &cli.StringFlag{Name: "out", Usage: "the sweep directory: one run directory per run id (default sweeps/<sweep name>)"}
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
				Flags:     []cli.Flag{dataFlag, devicesFlag, maxRunsFlag, &cli.BoolFlag{Name: "json", Usage: "print the plan with every run's resolved configuration as JSON"}},
				Action:    sweepPlan,
			},
			{
				Name:      "run",
				Usage:     "run every run of a sweep that is not done, in parallel",
				ArgsUsage: "FILE",
				Flags: []cli.Flag{dataFlag, devicesFlag, outFlag, maxRunsFlag,
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
					&cli.IntFlag{Name: "index", Required: true, Usage: "the run's index in the plan"},
					&cli.StringFlag{Name: "expect-id", Usage: "refuse unless run --index has this id (the file changed since the job was submitted)"},
				},
				Action: sweepRunOne,
			},
			{
				Name:      "slurm",
				Usage:     "write (and with --submit, submit) an sbatch job array whose task i runs run i",
				ArgsUsage: "FILE",
				Flags: []cli.Flag{dataFlag, outFlag, maxRunsFlag,
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
		},
	}
	return cmd
}

// loadSweep expands the sweep file named by the command's argument, with
// the command line over the file: --data for every run's data.dir and
// --devices (or gpus) for its device kind.
func loadSweep(c *cli.Context, devices []string) (*sweep.Plan, error) {
	if c.NArg() != 1 {
		return nil, fmt.Errorf("want one sweep file, got %d arguments", c.NArg())
	}
	base := models.DefaultConfig()
	base.Data.Dir = defaultDataDir()
	var dataDir string
	if c.IsSet("data") {
		dataDir = absPath(c.String("data"))
	}
	if c.Int("max-runs") < 1 {
		return nil, fmt.Errorf("--max-runs %d: must be ≥ 1", c.Int("max-runs"))
	}
	opt := sweep.Options{Base: base, MaxRuns: c.Int("max-runs"), Override: func(cfg *models.Config) {
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
	p, err := sweep.LoadContext(c.Context, c.Args().First(), opt)
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

func sweepRun(c *cli.Context) error {
	devices, err := devicesOf(c)
	if err != nil {
		return err
	}
	p, err := loadSweep(c, devices)
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
	rn := &sweep.Runner{Out: out, Devices: devices, Workers: c.Int("workers"), Log: log, Cache: sweepData,
		Run: func(ctx context.Context, _ *sweep.Run, cfg models.Config, dir string) (*models.Result, error) {
			return trainOne(ctx, cfg, dir)
		}}
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

func sweepRunOne(c *cli.Context) error {
	devices, err := devicesOf(c)
	if err != nil {
		return err
	}
	p, err := loadSweep(c, devices)
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
	res, done, err := sweep.RunOne(c.Context, out, r, device, func(ctx context.Context, _ *sweep.Run, cfg models.Config, dir string) (*models.Result, error) {
		return trainOne(ctx, cfg, dir)
	}, true)
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
	n := len(indices)
	if indices == nil {
		n = len(p.Runs)
	}
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

func arrayOf(script string) string {
	for _, line := range strings.Split(script, "\n") {
		if v, ok := strings.CutPrefix(line, "#SBATCH --array="); ok {
			return v
		}
	}
	return "?"
}

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

// trainOne trains cfg into the run directory out as 'gtrain train' does
// (config.json, metrics.csv and checkpoint.json after every epoch,
// model.json, result.json last), quietly, with the data from the process's
// cache. A checkpoint of the same configuration left in out by an
// interrupted attempt is continued.
func trainOne(ctx context.Context, cfg models.Config, out string) (*models.Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := models.WriteConfig(out, &cfg); err != nil {
		return nil, err
	}
	// An interrupted run continues from its checkpoint, and a finished one
	// whose final files are missing (a full disk) gets them from it. A
	// checkpoint that cannot be trusted fails the run rather than being
	// trained over: removing it is the user's decision.
	ck, err := models.ReadCheckpoint(out, &cfg)
	switch {
	case errors.Is(err, os.ErrNotExist):
		ck = nil
	case err != nil:
		return nil, fmt.Errorf("%w (remove it to train the run from the start)", err)
	}
	trainDtype, err := graph.ForDtype(cfg.Dtype, trainOneAs[float32], trainOneAs[float64])
	if err != nil {
		return nil, err
	}
	return trainDtype(ctx, cfg, out, ck)
}

// trainOneAs trains cfg on its data from the cache, normalized as T.
func trainOneAs[T graph.Float](ctx context.Context, cfg models.Config, out string, ck *models.Checkpoint) (*models.Result, error) {
	d, err := sweep.Prepared[T](sweepData, cfg)
	if err != nil {
		return nil, err
	}
	// An interrupted run keeps its checkpoint (the next attempt continues
	// it); its result is marked partial, so it does not count as done.
	tr, err := runTraining(ctx, d, cfg, out, models.Options{Resume: ck}, io.Discard)
	if err != nil {
		return nil, err
	}
	return tr.Result, nil
}
