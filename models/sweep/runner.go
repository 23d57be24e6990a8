package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/engine"
	"github.com/gtrain/gtrain/models/rundir"
	"github.com/gtrain/gtrain/models/runfiles"
)

// RunFunc trains one run: cfg is the run's configuration with the device
// it was given, dir its run directory. It writes the run directory as
// gtrain train does (config.json first, result.json last) and returns the
// result. It must return when ctx is cancelled. Train is the one that
// trains; tests give others.
type RunFunc func(ctx context.Context, run *Run, cfg config.Config, dir string) (*runfiles.Result, error)

// Train returns the RunFunc that trains a run with rundir.Continue, with
// its data from cache (nil: each run reads its own) and the process's
// memory limit held by mem (nil: none). An interrupted run keeps its
// checkpoint (the next attempt continues it); its result is marked
// partial, so it does not count as done.
func Train(cache *rundir.DataCache, mem *rundir.MemoryBudget) RunFunc {
	return func(ctx context.Context, _ *Run, cfg config.Config, dir string) (*runfiles.Result, error) {
		o, err := rundir.Continue(ctx, cfg, dir, rundir.Options{Data: cache, Memory: mem})
		if err != nil {
			return nil, err
		}
		return o.Result, nil
	}
}

// ErrRunning is returned by RunOne for a run that another live process
// is training: it holds the run directory's lock, or (without takeOver) a
// live marker.
var ErrRunning = errors.New("another process is running it")

// RunOne trains run r into its directory under out on device, unless it is
// done already (then it returns the stored result and done = true). It
// holds the run directory's lock (rundir.AcquireLock) while it trains, and
// returns ErrRunning at once if another process holds it. It marks the
// directory as running (with a heartbeat), and writes the failed file if
// fn fails. With takeOver, a live marker of another process is ignored (a
// Slurm task owns its run: the lock was free, so the marker's process is
// gone); without, such a run is left alone and RunOne returns ErrRunning.
// An interrupted run (ctx cancelled) leaves neither marker nor failed
// file: it is missing and a rerun trains it again.
func RunOne(ctx context.Context, out string, r *Run, device string, fn RunFunc, takeOver bool) (res *runfiles.Result, done bool, err error) {
	c, res, done, err := begin(out, r, device, takeOver)
	if c == nil {
		return res, done, err
	}
	defer c.release()
	res, err = fn(ctx, r, c.cfg, c.dir)
	if err = c.end(ctx, err); err != nil {
		return nil, false, err
	}
	return res, false, nil
}

// claimed is a run that this process trains: it holds the run
// directory's lock and its running marker, kept fresh by a heartbeat.
type claimed struct {
	r      *Run
	cfg    config.Config // r's, on the device
	dir    string
	device string
	lock   *rundir.Lock
	marker string
	stop   chan struct{}
	wg     sync.WaitGroup
}

// begin claims run r for training on device (RunOne). A run done already
// returns its result and done; a run that cannot be claimed returns the
// error; both with a nil claim.
func begin(out string, r *Run, device string, takeOver bool) (*claimed, *runfiles.Result, bool, error) {
	dir := RunDir(out, r)
	if IsDone(dir, r) {
		res, err := runfiles.ReadResult(dir)
		return nil, res, true, err
	}
	// The lock makes this process the run directory's only writer for the
	// run's life; the marker below only tells others (status) about it.
	lock, err := rundir.AcquireLock(dir)
	var locked *rundir.LockedError
	if errors.As(err, &locked) {
		return nil, nil, false, fmt.Errorf("run %s: %w (%v)", r.ID, ErrRunning, err)
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("run %s: %w", r.ID, err)
	}
	markerPath := filepath.Join(dir, RunningFile)
	if err := claim(dir, markerPath, device, takeOver); err != nil {
		lock.Release()
		return nil, nil, false, fmt.Errorf("run %s: %w", r.ID, err)
	}
	if IsDone(dir, r) {
		// Another process finished it between the check and the claim.
		os.Remove(markerPath)
		lock.Release()
		res, err := runfiles.ReadResult(dir)
		return nil, res, true, err
	}
	// A result or an error of an earlier attempt does not describe this
	// one.
	os.Remove(filepath.Join(dir, runfiles.ResultFile))
	os.Remove(filepath.Join(dir, FailedFile))

	c := &claimed{r: r, cfg: r.Config, dir: dir, device: device, lock: lock, marker: markerPath, stop: make(chan struct{})}
	c.cfg.Device = device
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case now := <-t.C:
				os.Chtimes(markerPath, now, now)
			}
		}
	}()
	return c, nil, false, nil
}

// end checks what training the claimed run gave (err) and writes the
// failed file of a run that failed (not of an interrupted one).
func (c *claimed) end(ctx context.Context, err error) error {
	if err == nil && !IsDone(c.dir, c.r) {
		err = fmt.Errorf("run %s: the run function returned without a complete run directory (config.json and result.json)", c.r.ID)
	}
	if err == nil || ctx.Err() != nil {
		return err
	}
	host, _ := os.Hostname()
	msg := fmt.Sprintf("%s\n\n%s on %s, pid %d, device %s\n", err, time.Now().UTC().Format(time.RFC3339), host, os.Getpid(), c.device)
	if werr := runfiles.WriteFileAtomic(filepath.Join(c.dir, FailedFile), []byte(msg)); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

// release stops the heartbeat, removes the marker and releases the lock.
func (c *claimed) release() {
	close(c.stop)
	c.wg.Wait()
	os.Remove(c.marker)
	c.lock.Release()
}

// claim writes the running marker of dir. Without takeOver it creates the
// file exclusively, so that of two processes starting the same run one
// wins; a dead marker is replaced.
func claim(dir, path, device string, takeOver bool) error {
	b, _ := json.Marshal(newMarker(device))
	b = append(b, '\n')
	if takeOver {
		return runfiles.WriteFileAtomic(path, b)
	}
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.Write(b)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			return werr
		}
		if !errors.Is(err, os.ErrExist) || attempt > 0 {
			if errors.Is(err, os.ErrExist) {
				return ErrRunning
			}
			return err
		}
		if m, live := readMarker(dir); live {
			return fmt.Errorf("%w (pid %d on %s since %s)", ErrRunning, m.PID, m.Host, m.Started.Format(time.RFC3339))
		}
		os.Remove(path) // dead: its process is gone
	}
}

// Runner runs the runs of a plan in parallel.
type Runner struct {
	Out     string   // the sweep directory
	Devices []string // "cpu", or "cuda:0", "cuda:1", …; default cpu
	// Workers is the number of runs at once, spread over Devices (worker i
	// serves Devices[i mod len(Devices)]): each device has its own workers
	// and takes the next run when one of them is free. Default: one per
	// device.
	Workers int
	Run     RunFunc // nil: Train(Cache)
	// Stack is the largest number of runs trained as one stacked graph
	// (Stacks); 0 or 1: each run alone. Runs are stacked where the
	// device's engine trains stacks and Run is nil or RunStack is set.
	Stack    int
	RunStack StackFunc         // nil: TrainStack(Cache)
	Log      io.Writer         // a progress line per finished run; nil: none
	Cache    *rundir.DataCache // when set: the runs' data, told which runs will use which data, and when they finish
	// Memory, when set, holds the process's soft memory limit at what the
	// workers' trainings need (the default Run and RunStack).
	Memory *rundir.MemoryBudget
}

// Outcome is what happened to one run.
type Outcome struct {
	Run     *Run
	State   State // Done (now or earlier), Failed, Running (elsewhere) or Missing (interrupted)
	Earlier bool  // done before this sweep started
	Result  *runfiles.Result
	Err     error
	Device  string
	Seconds float64
	Stack   int // the number of runs trained with it as one stack (1: alone)
}

// Summary is the outcome of Runner.Execute.
type Summary struct {
	Outcomes                                    []Outcome // in plan order
	Done, Earlier, Failed, Skipped, Interrupted int
}

// Execute writes the plan into Out and runs every run that is not done.
// It returns when all have finished or ctx is cancelled (runs in progress
// are then interrupted and left missing). The error is ctx's, or one
// naming the failed runs.
func (rn *Runner) Execute(ctx context.Context, plan *Plan) (*Summary, error) {
	devices := rn.Devices
	if len(devices) == 0 {
		devices = []string{"cpu"}
	}
	workers := rn.Workers
	if workers == 0 {
		workers = len(devices)
	}
	if workers < len(devices) {
		return nil, fmt.Errorf("%d workers for %d devices: give each device at least one", workers, len(devices))
	}
	if err := checkDevices(devices); err != nil {
		return nil, err
	}
	run := rn.Run
	if run == nil {
		run = Train(rn.Cache, rn.Memory)
	}
	if err := os.MkdirAll(rn.Out, 0o755); err != nil {
		return nil, err
	}
	if err := WritePlan(rn.Out, plan); err != nil {
		return nil, err
	}
	log := rn.Log
	if log == nil {
		log = io.Discard
	}

	sum := &Summary{Outcomes: make([]Outcome, len(plan.Runs))}
	var todo []int
	for i := range plan.Runs {
		r := &plan.Runs[i]
		o := &sum.Outcomes[i]
		o.Run = r
		switch st := StatusOf(rn.Out, r); st.State {
		case Done:
			o.State, o.Earlier, o.Result = Done, true, st.Result
			sum.Earlier++
		case Running:
			o.State = Running
			o.Err = fmt.Errorf("%w (pid %d on %s)", ErrRunning, st.Marker.PID, st.Marker.Host)
			sum.Skipped++
		default:
			todo = append(todo, i)
		}
	}
	if rn.Cache != nil {
		for _, i := range todo {
			rn.Cache.Expect(plan.Runs[i].Config)
		}
	}

	stackFn := rn.RunStack
	if stackFn == nil && rn.Run == nil {
		stackFn = TrainStack(rn.Cache, rn.Memory)
	}
	stack := rn.Stack
	if stackFn == nil || (rn.RunStack == nil && !engine.Stacks(devices[0])) {
		stack = 1
	}
	stacks := StacksFor(plan.Runs, todo, stack, workers)
	as := ""
	if len(stacks) < len(todo) {
		as = fmt.Sprintf(" as %s of up to %d", Plural(len(stacks), "stack"), stack)
	}
	fmt.Fprintf(log, "sweep %s: %d runs, %d done earlier, %d running elsewhere, %d to run%s on %s with %d workers\n",
		plan.Name, len(plan.Runs), sum.Earlier, sum.Skipped, len(todo), as, strings.Join(devices, ","), workers)
	jobs := make(chan []int)
	var (
		mu       sync.Mutex
		finished int
		wg       sync.WaitGroup
	)
	record := func(i int, res *runfiles.Result, done bool, err error, device string, secs float64, size int) {
		o := Outcome{Run: &plan.Runs[i], Result: res, Err: err, Device: device, Seconds: secs, Stack: size}
		switch {
		case err == nil:
			o.State, o.Earlier = Done, done
		case errors.Is(err, ErrRunning):
			o.State = Running
		case ctx.Err() != nil:
			o.State = Missing
		default:
			o.State = Failed
		}
		mu.Lock()
		defer mu.Unlock()
		sum.Outcomes[i] = o
		switch o.State {
		case Done:
			if done {
				sum.Earlier++
			} else {
				sum.Done++
			}
		case Running:
			sum.Skipped++
		case Missing:
			sum.Interrupted++
		case Failed:
			sum.Failed++
		}
		finished++
		fmt.Fprintln(log, progressLine(&o, finished, len(todo)))
	}
	for w := 0; w < workers; w++ {
		device := devices[w%len(devices)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				t0 := time.Now()
				if len(job) == 1 {
					r := &plan.Runs[job[0]]
					res, done, err := RunOne(ctx, rn.Out, r, device, run, false)
					if rn.Cache != nil {
						rn.Cache.Release(r.Config)
					}
					record(job[0], res, done, err, device, time.Since(t0).Seconds(), 1)
					continue
				}
				rs := make([]*Run, len(job))
				for j, i := range job {
					rs[j] = &plan.Runs[i]
				}
				res, done, errs := RunStack(ctx, rn.Out, rs, device, stackFn, false)
				for j, i := range job {
					if rn.Cache != nil {
						rn.Cache.Release(rs[j].Config)
					}
					record(i, res[j], done[j], errs[j], device, time.Since(t0).Seconds(), len(job))
				}
			}
		}()
	}
feed:
	for _, job := range stacks {
		select {
		case jobs <- job:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		for _, i := range todo {
			if sum.Outcomes[i].State == "" {
				sum.Outcomes[i].State = Missing
				sum.Interrupted++
			}
		}
		return sum, ctx.Err()
	}
	if sum.Failed > 0 {
		var ids []string
		for _, o := range sum.Outcomes {
			if o.State == Failed {
				ids = append(ids, o.Run.ID)
			}
		}
		return sum, fmt.Errorf("%d of %d runs failed (%s): their errors are in %s/<id>/%s; rerun the same command to retry them", sum.Failed, len(plan.Runs), strings.Join(ids, ", "), rn.Out, FailedFile)
	}
	return sum, nil
}

// progressLine is the line printed for a finished run:
// "[3/14] done   1a2b3c4d5e6f  table: loss=svm lambda=0.1  test 35.78%  val 34.90%  2m3s  cpu".
func progressLine(o *Outcome, n, total int) string {
	head := fmt.Sprintf("[%d/%d] %-7s %s  %s", n, total, o.State, o.Run.ID, o.Run.Label())
	switch o.State {
	case Done:
		s := head
		if o.Result != nil {
			s += fmt.Sprintf("  test %s  val %s", pct(o.Result, "test"), pct(o.Result, "val"))
		}
		if o.Earlier {
			return s + "  (done earlier)"
		}
		s += fmt.Sprintf("  %s  %s", formatDuration(o.Seconds), o.Device)
		if o.Stack > 1 {
			s += fmt.Sprintf("  (stack of %d)", o.Stack)
		}
		return s
	case Failed, Running:
		return head + ": " + errLine(o.Err)
	}
	return head + "  (interrupted)"
}

func errLine(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func pct(res *runfiles.Result, split string) string {
	s, ok := res.Splits[split]
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*s.AccuracyTrained)
}

// ParseDevices reads "cpu" or "cuda:0,1" (or "cuda:0,cuda:1") into a list
// of devices.
func ParseDevices(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "cpu" {
		return []string{"cpu"}, nil
	}
	var out []string
	kind := ""
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
			return nil, fmt.Errorf("devices %q: an empty entry", s)
		case strings.Contains(part, ":"):
			kind = DeviceKind(part)
		case kind != "" && isDigits(part):
			part = kind + ":" + part // "cuda:0,1"
		}
		out = append(out, part)
	}
	return out, checkDevices(out)
}

func checkDevices(devices []string) error {
	seen := map[string]bool{}
	for _, d := range devices {
		kind, idx, hasIdx := strings.Cut(d, ":")
		if kind == "" || (hasIdx && !isDigits(idx)) {
			return fmt.Errorf("device %q: want cpu or kind:N such as cuda:0", d)
		}
		if DeviceKind(devices[0]) != kind {
			return fmt.Errorf("devices %s: mix kinds; a sweep runs on one kind", strings.Join(devices, ","))
		}
		if seen[d] && kind != "cpu" {
			return fmt.Errorf("device %s listed twice (use --workers for more runs per device)", d)
		}
		seen[d] = true
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
