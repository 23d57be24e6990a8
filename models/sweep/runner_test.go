package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/rundir"
	"github.com/gtrain/gtrain/models/runfiles"
)

// fakeRun writes a run directory as Train does, without training: its
// test accuracy is the run's eta.
func fakeRun(calls *atomic.Int32, delay time.Duration) RunFunc {
	return func(ctx context.Context, r *Run, cfg config.Config, dir string) (*runfiles.Result, error) {
		calls.Add(1)
		if err := runfiles.WriteConfig(dir, &cfg); err != nil {
			return nil, err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		res := &runfiles.Result{ConfigHash: cfg.Hash(), Device: cfg.Device, Dtype: cfg.Dtype, TotalSeconds: 1,
			Splits: map[string]runfiles.SplitResult{"test": {AccuracyTrained: cfg.Eta}, "val": {AccuracyTrained: cfg.Eta / 2}}}
		return res, runfiles.WriteResult(dir, res)
	}
}

func gridPlan(t *testing.T, n int, opt Options) *Plan {
	t.Helper()
	var vals []string
	for i := 1; i <= n; i++ {
		vals = append(vals, fmt.Sprintf("0.%02d", i))
	}
	if opt.Base.Loss == "" {
		opt.Base = config.DefaultConfig()
	}
	p, err := Parse([]byte("name: t\ngrid: {eta: ["+strings.Join(vals, ", ")+"]}\n"), "t.yaml", opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResumeSkipsDoneAndRerunsHalfWritten(t *testing.T) {
	out := t.TempDir()
	p := gridPlan(t, 5, Options{})
	var calls atomic.Int32
	var log bytes.Buffer
	rn := &Runner{Out: out, Workers: 2, Run: fakeRun(&calls, 0), Log: &log}
	sum, err := rn.Execute(context.Background(), p)
	if err != nil || calls.Load() != 5 || sum.Done != 5 {
		t.Fatalf("first: %v, %d calls, %+v", err, calls.Load(), sum)
	}
	if !strings.Contains(log.String(), "[5/5] done") || !strings.Contains(log.String(), "test 1.00%") {
		t.Errorf("progress:\n%s", log.String())
	}

	// Run 1 was killed before result.json; run 2 left the partial result
	// of an interrupted training; run 3's result belongs to another
	// config.json (a half-written rerun); run 4 holds another run's
	// config.json and result.json.
	dir := func(i int) string { return RunDir(out, &p.Runs[i]) }
	os.Remove(filepath.Join(dir(1), runfiles.ResultFile))
	res, _ := runfiles.ReadResult(dir(2))
	res.Partial = true
	runfiles.WriteResult(dir(2), res)
	res, _ = runfiles.ReadResult(dir(3))
	res.ConfigHash = "000000000000"
	runfiles.WriteResult(dir(3), res)
	other := p.Runs[0].Config
	runfiles.WriteConfig(dir(4), &other)
	res, _ = runfiles.ReadResult(dir(0))
	runfiles.WriteResult(dir(4), res)

	st := StatusPlan(out, p)
	if st.Counts[Done] != 1 || st.Counts[Missing] != 4 {
		t.Fatalf("status after damage: %s", st.Summary())
	}
	calls.Store(0)
	log.Reset()
	sum, err = rn.Execute(context.Background(), p)
	if err != nil || calls.Load() != 4 || sum.Done != 4 || sum.Earlier != 1 {
		t.Fatalf("rerun: %v, %d calls, %+v", err, calls.Load(), sum)
	}
	if !strings.Contains(log.String(), "5 runs, 1 done earlier, 0 running elsewhere, 4 to run") {
		t.Errorf("log:\n%s", log.String())
	}
	// A third run does nothing.
	calls.Store(0)
	if _, err := rn.Execute(context.Background(), p); err != nil || calls.Load() != 0 {
		t.Fatalf("third: %v, %d calls", err, calls.Load())
	}
	// The plan is in the directory, for status.
	st2, err := StatusDir(out)
	if err != nil || st2.Counts[Done] != 5 {
		t.Fatalf("StatusDir: %v %+v", err, st2)
	}
}

func TestRunnerConcurrencyBound(t *testing.T) {
	for _, tc := range []struct {
		devices   []string
		workers   int
		perDevice int
	}{
		{[]string{"cpu"}, 3, 3},
		{[]string{"cuda:0", "cuda:1"}, 4, 2},
		{[]string{"cuda:0", "cuda:1", "cuda:2"}, 0, 1},
	} {
		t.Run(strings.Join(tc.devices, ","), func(t *testing.T) {
			kind := DeviceKind(tc.devices[0])
			p := gridPlan(t, 12, Options{NoValidate: true, Override: func(c *config.Config) { c.Device = kind }})
			var mu sync.Mutex
			now, peak := map[string]int{}, map[string]int{}
			total, peakTotal := 0, 0
			var calls atomic.Int32
			inner := fakeRun(&calls, 30*time.Millisecond)
			rn := &Runner{Out: t.TempDir(), Devices: tc.devices, Workers: tc.workers,
				Run: func(ctx context.Context, r *Run, cfg config.Config, dir string) (*runfiles.Result, error) {
					mu.Lock()
					now[cfg.Device]++
					total++
					peak[cfg.Device] = max(peak[cfg.Device], now[cfg.Device])
					peakTotal = max(peakTotal, total)
					mu.Unlock()
					defer func() {
						mu.Lock()
						now[cfg.Device]--
						total--
						mu.Unlock()
					}()
					return inner(ctx, r, cfg, dir)
				}}
			sum, err := rn.Execute(context.Background(), p)
			if err != nil || sum.Done != 12 {
				t.Fatalf("%v %+v", err, sum)
			}
			for _, d := range tc.devices {
				if peak[d] != tc.perDevice {
					t.Errorf("device %s: at most %d runs at once, want %d", d, peak[d], tc.perDevice)
				}
			}
			if want := tc.perDevice * len(tc.devices); peakTotal != want {
				t.Errorf("at most %d runs at once, want %d", peakTotal, want)
			}
			// Written with the GPU's index, the runs are still done.
			if st := StatusPlan(rn.Out, p); st.Counts[Done] != 12 {
				t.Errorf("status: %s", st.Summary())
			}
		})
	}
	if _, err := (&Runner{Out: t.TempDir(), Devices: []string{"cuda:0", "cuda:1"}, Workers: 1, Run: fakeRun(new(atomic.Int32), 0)}).Execute(context.Background(), gridPlan(t, 1, Options{})); err == nil {
		t.Error("1 worker for 2 devices accepted")
	}
}

func TestParseDevices(t *testing.T) {
	for in, want := range map[string]string{"cpu": "cpu", "": "cpu", "cuda:0,1": "cuda:0,cuda:1", "cuda:0,cuda:2": "cuda:0,cuda:2"} {
		got, err := ParseDevices(in)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"cuda:0,cuda:0", "cpu,cuda:0", "cuda:x", "cuda:0,,1"} {
		if _, err := ParseDevices(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFailedRunsAndStatus(t *testing.T) {
	out := t.TempDir()
	p := gridPlan(t, 4, Options{})
	var calls atomic.Int32
	ok := fakeRun(&calls, 0)
	boom := func(ctx context.Context, r *Run, cfg config.Config, dir string) (*runfiles.Result, error) {
		if r.Index == 2 {
			runfiles.WriteConfig(dir, &cfg)
			return nil, errors.New("training diverged: the cost is NaN")
		}
		return ok(ctx, r, cfg, dir)
	}
	rn := &Runner{Out: out, Workers: 2, Run: boom}
	sum, err := rn.Execute(context.Background(), p)
	if err == nil || sum.Failed != 1 || sum.Done != 3 || !strings.Contains(err.Error(), p.Runs[2].ID) {
		t.Fatalf("%v %+v", err, sum)
	}
	// Runs 1 and 3 now look like another process is running them: run 1
	// live (this process), run 3 dead (a pid that is not there).
	os.Remove(filepath.Join(RunDir(out, &p.Runs[1]), runfiles.ResultFile))
	os.Remove(filepath.Join(RunDir(out, &p.Runs[3]), runfiles.ResultFile))
	host, _ := os.Hostname()
	writeMarker(t, RunDir(out, &p.Runs[1]), Marker{PID: os.Getpid(), Host: host, SlurmJob: "7_1"}, time.Now())
	writeMarker(t, RunDir(out, &p.Runs[3]), Marker{PID: deadPID(t), Host: host}, time.Now())

	st, err := StatusDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	st.Write(&buf)
	text := buf.String()
	for _, want := range []string{
		"4 runs: 1 done, 1 running, 1 failed, 1 missing",
		"failed   eta=0.03",
		"training diverged: the cost is NaN",
		"slurm job 7_1",
		"interrupted (pid",
		"0.50%", // val accuracy of run 0 (eta/2)
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
	if got := fmt.Sprint(st.Incomplete()); got != "[2 3]" {
		t.Errorf("incomplete %s", got)
	}

	// The rerun retries the failed and the interrupted run and leaves the
	// running one alone.
	calls.Store(0)
	rn.Run = ok
	sum, err = rn.Execute(context.Background(), p)
	if err != nil || calls.Load() != 2 || sum.Skipped != 1 || sum.Done != 2 {
		t.Fatalf("rerun: %v, %d calls, %+v", err, calls.Load(), sum)
	}
	if _, err := os.Stat(filepath.Join(RunDir(out, &p.Runs[2]), FailedFile)); !os.IsNotExist(err) {
		t.Error("the failed file outlived a successful retry")
	}
	// A marker of another host is live while fresh, dead once stale.
	writeMarker(t, RunDir(out, &p.Runs[1]), Marker{PID: 1, Host: "elsewhere"}, time.Now())
	if s := StatusOf(out, &p.Runs[1]); s.State != Running {
		t.Errorf("fresh marker of another host: %s", s.State)
	}
	writeMarker(t, RunDir(out, &p.Runs[1]), Marker{PID: 1, Host: "elsewhere"}, time.Now().Add(-2*StaleAfter))
	if s := StatusOf(out, &p.Runs[1]); s.State != Missing || s.Stale == nil {
		t.Errorf("stale marker of another host: %s", s.State)
	}
	// run-one takes over a live marker.
	writeMarker(t, RunDir(out, &p.Runs[1]), Marker{PID: os.Getpid(), Host: host}, time.Now())
	if _, done, err := RunOne(context.Background(), out, &p.Runs[1], "cpu", ok, true); err != nil || done {
		t.Fatalf("take over: %v %v", done, err)
	}
	if _, done, err := RunOne(context.Background(), out, &p.Runs[1], "cpu", ok, true); err != nil || !done {
		t.Fatalf("done run: %v %v", done, err)
	}
	if _, err := os.Stat(filepath.Join(RunDir(out, &p.Runs[1]), RunningFile)); !os.IsNotExist(err) {
		t.Error("the running marker outlived its run")
	}
}

func writeMarker(t *testing.T, dir string, m Marker, mtime time.Time) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	b, _ := json.Marshal(m)
	path := filepath.Join(dir, RunningFile)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, mtime, mtime)
}

// deadPID returns a pid that no process has.
func deadPID(t *testing.T) int {
	for pid := 4_000_000; pid > 3_000_000; pid -= 7919 {
		if !processAlive(pid) {
			return pid
		}
	}
	t.Fatal("no free pid")
	return 0
}

func TestInterruptLeavesRunsMissing(t *testing.T) {
	out := t.TempDir()
	p := gridPlan(t, 6, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	inner := fakeRun(&calls, 10*time.Second)
	started := make(chan struct{}, 6)
	rn := &Runner{Out: out, Workers: 2, Run: func(ctx context.Context, r *Run, cfg config.Config, dir string) (*runfiles.Result, error) {
		started <- struct{}{}
		return inner(ctx, r, cfg, dir)
	}}
	go func() { <-started; <-started; cancel() }()
	sum, err := rn.Execute(ctx, p)
	if !errors.Is(err, context.Canceled) || sum.Interrupted != 6 || calls.Load() != 2 {
		t.Fatalf("%v %+v, %d calls", err, sum, calls.Load())
	}
	st := StatusPlan(out, p)
	if st.Counts[Missing] != 6 {
		t.Fatalf("%s", st.Summary())
	}
	for _, r := range st.Runs {
		if r.Stale != nil || r.Error != "" {
			t.Errorf("run %d: marker or failed file left: %+v", r.Run.Index, r)
		}
	}
}

// Two processes starting the same run: one trains it, the other is told
// it is running.
func TestClaimIsExclusive(t *testing.T) {
	out := t.TempDir()
	p := gridPlan(t, 1, Options{})
	var calls atomic.Int32
	fn := fakeRun(&calls, 50*time.Millisecond)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := RunOne(context.Background(), out, &p.Runs[0], "cpu", fn, false)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok, running := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrRunning):
			running++
		default:
			t.Error(err)
		}
	}
	// A latecomer may find the run done (ok without a call).
	if calls.Load() != 1 || ok+running != 8 {
		t.Fatalf("%d trainings, %d ok, %d refused", calls.Load(), ok, running)
	}
}

// TestRunOneRespectsTheLock: a run whose directory another owner has
// locked is not trained, by run-one (takeOver) nor by a sweep, and is
// reported as running by that owner.
func TestRunOneRespectsTheLock(t *testing.T) {
	out := t.TempDir()
	p := gridPlan(t, 2, Options{})
	lock, err := rundir.AcquireLock(RunDir(out, &p.Runs[0]))
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	fn := fakeRun(&calls, 0)
	_, _, err = RunOne(context.Background(), out, &p.Runs[0], "cpu", fn, true)
	if !errors.Is(err, ErrRunning) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) || calls.Load() != 0 {
		t.Fatalf("run-one of a locked run: %v, %d trainings", err, calls.Load())
	}
	sum, err := (&Runner{Out: out, Run: fn}).Execute(context.Background(), p)
	if err != nil || calls.Load() != 1 || sum.Done != 1 || sum.Skipped != 1 || sum.Outcomes[0].State != Running {
		t.Fatalf("sweep: %v, %d trainings, %+v", err, calls.Load(), sum)
	}
	lock.Release()
	if _, done, err := RunOne(context.Background(), out, &p.Runs[0], "cpu", fn, true); err != nil || done || calls.Load() != 2 {
		t.Fatalf("after Release: %v, done %v, %d trainings", err, done, calls.Load())
	}
	if _, err := os.Stat(filepath.Join(RunDir(out, &p.Runs[0]), rundir.LockFile)); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
}
