package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
	"github.com/gtrain/gtrain/models/sweep"
)

// gtrainSweep runs 'gtrain sweep ARGS' in-process and returns its error,
// stdout and stderr.
func gtrainSweep(ctx context.Context, args ...string) (error, string, string) {
	app := newApp()
	wired := false
	for _, c := range app.Commands {
		wired = wired || c.Name == "sweep"
	}
	if !wired {
		app.Commands = append(app.Commands, sweepCommand())
	}
	var out, errb bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errb
	err := runApp(ctx, app, append([]string{"gtrain", "sweep"}, args...))
	return err, out.String(), errb.String()
}

// writeSweep writes a small sweep of n runs (1 epoch, batches of 20) on
// the synthetic data in dataDir.
func writeSweep(t *testing.T, dataDir string, etas ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "small.yaml")
	text := fmt.Sprintf(`name: small
epochs: 1
batch: 20
data: {dir: %q}
grid:
  loss: [cross, svm]
runs:
`, dataDir)
	for _, eta := range etas {
		text += "  - {eta: " + eta + "}\n"
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSweepCommands(t *testing.T) {
	dataDir := syntheticDir(t, 40)
	file := writeSweep(t, dataDir, "0.01", "0.02")
	out := filepath.Join(t.TempDir(), "sweep")

	err, stdout, stderr := gtrainSweep(context.Background(), "plan", file)
	if err != nil {
		t.Fatal(err, stderr)
	}
	p, err := sweep.Load(file, sweep.Options{Base: config.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Runs) != 4 || !strings.Contains(stdout, "sweep small: 4 runs") || !strings.Contains(stdout, p.Runs[3].ID+"  0      loss=svm eta=0.02") ||
		!strings.Contains(stdout, "1 stack of up to 16 runs") {
		t.Fatalf("plan:\n%s", stdout)
	}

	// Two workers train the four runs; the table and the report follow.
	loadsBefore := sweepData.Loads() // the cache is the process's: other tests' sweeps count too
	err, stdout, stderr = gtrainSweep(context.Background(), "run", file, "--out", out, "--workers", "2")
	if err != nil {
		t.Fatal(err, stderr)
	}
	for _, want := range []string{"4 to run as 1 stack of up to 16 on cpu with 2 workers", "[4/4] done", "test "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	for _, want := range []string{"4 runs: 4 done, 0 running, 0 failed, 0 missing", "| test accuracy"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, r := range p.Runs {
		dir := filepath.Join(out, r.ID)
		res, err := runfiles.ReadResult(dir)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := runfiles.ReadConfig(dir)
		if res.ConfigHash != r.ID || cfg.Loss != r.Config.Loss || cfg.Eta != r.Config.Eta {
			t.Errorf("run %d: config %+v, result hash %s", r.Index, cfg, res.ConfigHash)
		}
		for _, f := range []string{runfiles.MetricsFile, "model.json"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}
	// One dataset read for the four runs.
	if n := sweepData.Loads() - loadsBefore; n != 1 {
		t.Errorf("%d dataset reads for 4 runs of the same data", n)
	}

	// A run's result is lost (a full disk at its end); the same command
	// writes it from the finished checkpoint, without training again (the
	// epoch timings in metrics.csv stay those of the first training).
	lost := filepath.Join(out, p.Runs[2].ID)
	metrics, _ := os.ReadFile(filepath.Join(lost, runfiles.MetricsFile))
	os.Remove(filepath.Join(lost, runfiles.ResultFile))
	err, _, stderr = gtrainSweep(context.Background(), "run", file, "--out", out, "--no-html")
	if err != nil || !strings.Contains(stderr, "4 runs, 3 done earlier, 0 running elsewhere, 1 to run") || !strings.Contains(stderr, "[1/1] done    "+p.Runs[2].ID) {
		t.Fatalf("rerun: %v\n%s", err, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(lost, runfiles.MetricsFile)); !bytes.Equal(b, metrics) {
		t.Errorf("the finished run was trained again:\n%s\nwas\n%s", b, metrics)
	}

	// A checkpoint that fails its checks fails the run instead of being
	// trained over, and stays as it was.
	ckPath := filepath.Join(lost, runfiles.CheckpointFile)
	ck, _ := os.ReadFile(ckPath)
	edited := bytes.Replace(ck, []byte(`"epoch":1`), []byte(`"epoch":0`), 1)
	if bytes.Equal(edited, ck) {
		t.Fatal("no epoch field to edit in the checkpoint")
	}
	os.WriteFile(ckPath, edited, 0o644)
	os.Remove(filepath.Join(lost, runfiles.ResultFile))
	err, _, stderr = gtrainSweep(context.Background(), "run", file, "--out", out, "--no-html")
	if err == nil || !strings.Contains(stderr, ckPath) {
		t.Errorf("corrupt checkpoint: %v\n%s\nwant the run failed naming %s", err, stderr, ckPath)
	}
	if b, _ := os.ReadFile(ckPath); !bytes.Equal(b, edited) {
		t.Error("the corrupt checkpoint was overwritten")
	}
	os.WriteFile(ckPath, ck, 0o644)
	err, _, stderr = gtrainSweep(context.Background(), "run", file, "--out", out, "--no-html")
	if err != nil {
		t.Fatalf("restored checkpoint: %v\n%s", err, stderr)
	}

	err, stdout, _ = gtrainSweep(context.Background(), "status", out)
	if err != nil || !strings.Contains(stdout, "sweep small: 4 runs: 4 done") {
		t.Fatalf("status: %v\n%s", err, stdout)
	}

	// run-one: a done run is not trained again; a changed file is refused.
	err, _, stderr = gtrainSweep(context.Background(), "run-one", file, "--index", "1", "--out", out, "--expect-id", p.Runs[1].ID)
	if err != nil || !strings.Contains(stderr, "was done already") {
		t.Fatalf("run-one: %v\n%s", err, stderr)
	}
	err, _, _ = gtrainSweep(context.Background(), "run-one", file, "--index", "1", "--out", out, "--expect-id", "123456789abc")
	if err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Fatalf("run-one with a stale id: %v", err)
	}

	// slurm without --submit writes the script of the runs not done.
	os.RemoveAll(filepath.Join(out, p.Runs[0].ID))
	err, _, stderr = gtrainSweep(context.Background(), "slurm", file, "--out", out, "--time", "10:00")
	if err != nil {
		t.Fatal(err, stderr)
	}
	script, err := os.ReadFile(filepath.Join(out, sweep.SlurmScriptName))
	if err != nil || !strings.Contains(string(script), "#SBATCH --array=0\n") || !strings.Contains(stderr, "a job array of 1 tasks") {
		t.Fatalf("script (%v):\n%s\n%s", err, script, stderr)
	}

	// run-one of a list trains the runs as one stack, as a stacked
	// script's task does.
	os.RemoveAll(filepath.Join(out, p.Runs[2].ID))
	ids := p.Runs[0].ID + "," + p.Runs[2].ID
	err, stdout, stderr = gtrainSweep(context.Background(), "run-one", file, "--index", "0,2", "--out", out, "--expect-id", ids)
	if err != nil || !strings.Contains(stderr, "the 2 runs train as one stack") || strings.Count(stdout, "Model parameters:") != 2 {
		t.Fatalf("run-one of a stack: %v\n%s\n%s", err, stdout, stderr)
	}
	if st := sweep.StatusPlan(out, p); !strings.Contains(st.Summary(), "4 done") {
		t.Errorf("after run-one of a stack: %s", st.Summary())
	}
	for _, c := range []struct{ index, ids, want string }{
		{"0,0", "", "run 0 twice"},
		{"0,x", "", "want a run index or a comma-separated list"},
		{"0,9", "", "--index 9: the sweep small has runs 0..3"},
		{"0,2", p.Runs[0].ID, "--expect-id names 1 runs, --index 2"},
	} {
		args := []string{"run-one", file, "--index", c.index, "--out", out}
		if c.ids != "" {
			args = append(args, "--expect-id", c.ids)
		}
		if err, _, _ := gtrainSweep(context.Background(), args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run-one --index %s: %v, want %q", c.index, err, c.want)
		}
	}
}

// TestSweepGrid: a grid from the command line is planned and trained as a
// sweep file's grid would be, stacked.
func TestSweepGrid(t *testing.T) {
	dataDir := syntheticDir(t, 40)
	out := filepath.Join(t.TempDir(), "g")
	grid := []string{"--grid", "lambda=0,0.1", "--grid", "eta=0.01,0.02", "--grid", "epochs=1", "--grid", "batch=20"}
	err, stdout, _ := gtrainSweep(context.Background(), append([]string{"plan", "--data", dataDir}, grid...)...)
	if err != nil || !strings.Contains(stdout, "4 runs (--grid), 1 stack of up to 16 runs") || !strings.Contains(stdout, "lambda=0.1 eta=0.02 epochs=1 batch=20") {
		t.Fatalf("plan: %v\n%s", err, stdout)
	}
	err, stdout, stderr := gtrainSweep(context.Background(), append([]string{"run", "--data", dataDir, "--out", out, "--no-html"}, grid...)...)
	if err != nil || !strings.Contains(stderr, "(stack of 4)") || !strings.Contains(stdout, "4 runs: 4 done") {
		t.Fatalf("run: %v\n%s\n%s", err, stdout, stderr)
	}
	if err, _, _ := gtrainSweep(context.Background(), "plan", "x.yaml", "--grid", "eta=1"); err == nil || !strings.Contains(err.Error(), "either a sweep file or --grid") {
		t.Errorf("file and --grid: %v", err)
	}
}

func TestSweepCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("epochs: 2\ngrid:\n  etta: [0.1]\n"), 0o644)
	err, _, _ := gtrainSweep(context.Background(), "plan", bad)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:3: etta: unknown key") {
		t.Fatalf("%v", err)
	}
	err, _, _ = gtrainSweep(context.Background(), "run", bad, "--devices", "cuda:0,cuda:0")
	if err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("%v", err)
	}
	err, _, _ = gtrainSweep(context.Background(), "status", dir)
	if err == nil || !strings.Contains(err.Error(), "not a sweep directory") {
		t.Fatalf("%v", err)
	}
}

// cancelAtCheckpoint is a context that cancels itself the first time its
// Err is asked for once a file matching glob exists. The trainer asks
// before every step, in the goroutine that has just written its checkpoint,
// so the first run to finish epoch 1 is interrupted at its next step,
// however fast the machine: a deterministic Ctrl-C.
type cancelAtCheckpoint struct {
	context.Context
	cancel context.CancelFunc
	glob   string
}

func (c *cancelAtCheckpoint) Err() error {
	if c.Context.Err() == nil {
		if m, _ := filepath.Glob(c.glob); len(m) > 0 {
			c.cancel()
		}
	}
	return c.Context.Err()
}

// A sweep interrupted midway (Ctrl-C) leaves its runs missing, not failed;
// the same command finishes them, continuing a run from its checkpoint,
// and ends with the models of a sweep that was never interrupted.
func TestSweepInterruptAndResume(t *testing.T) {
	const epochs = 5
	dataDir := syntheticDir(t, 40)
	path := filepath.Join(t.TempDir(), "long.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf("name: long\nepochs: %d\nbatch: 20\ndata: {dir: %q}\ngrid: {eta: [0.01, 0.02]}\n", epochs, dataDir)), 0o644)
	out := filepath.Join(t.TempDir(), "sweep")
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx := &cancelAtCheckpoint{Context: parent, cancel: cancel, glob: filepath.Join(out, "*", runfiles.CheckpointFile)}
	err, _, stderr := gtrainSweep(ctx, "run", path, "--out", out, "--workers", "2", "--no-html")
	st, serr := sweep.StatusDir(out)
	if serr != nil {
		t.Fatal(serr)
	}
	if !errors.Is(err, context.Canceled) || !strings.Contains(stderr, "interrupted") || st.Counts[sweep.Failed] != 0 || st.Counts[sweep.Missing] == 0 {
		t.Fatalf("%v; %s\n%s", err, st.Summary(), stderr)
	}
	// The run that wrote the first checkpoint stopped at epoch 2 with a
	// checkpoint of epoch 1. Its epoch 1 gets a marker duration, which
	// only a continued run (not one trained again) carries into
	// metrics.csv.
	const marker = 1234.5
	var resumed string
	for _, rs := range st.Runs {
		dir := sweep.RunDir(out, rs.Run)
		if _, err := os.Stat(filepath.Join(dir, sweep.RunningFile)); err == nil {
			t.Errorf("run %s: running marker left by the interrupted sweep", rs.Run.ID)
		}
		if ck, err := runfiles.ReadCheckpoint(dir, &rs.Run.Config); rs.State == sweep.Missing && err == nil && ck.Epoch > 0 && resumed == "" {
			resumed = dir
			ck.Epochs[0].Seconds, ck.EpochSeconds[0] = marker, marker
			if err := runfiles.WriteCheckpoint(dir, ck); err != nil {
				t.Fatal(err)
			}
		}
	}
	if resumed == "" {
		t.Fatalf("no interrupted run holds a checkpoint of a finished epoch: %s", st.Summary())
	}
	err, _, stderr = gtrainSweep(context.Background(), "run", path, "--out", out, "--workers", "2", "--no-html")
	if err != nil {
		t.Fatal(err, stderr)
	}
	if st := sweep.StatusPlan(out, st.Plan); st.Counts[sweep.Done] != 2 {
		t.Fatalf("after the rerun: %s", st.Summary())
	}
	rows := metricsWithoutSeconds(t, resumed)
	f, _ := os.ReadFile(filepath.Join(resumed, runfiles.MetricsFile))
	if len(rows) != 1+epochs {
		t.Errorf("the resumed run's metrics.csv has %d rows, want a header and %d epochs", len(rows), epochs)
	}
	if first := strings.Split(string(f), "\n")[1]; !strings.HasSuffix(first, ","+strconv.FormatFloat(marker, 'g', -1, 64)) {
		t.Errorf("epoch 1 of the resumed run is %q: trained again, not continued from its checkpoint", first)
	}
	// Bit for bit the models of an uninterrupted sweep.
	whole := filepath.Join(t.TempDir(), "whole")
	if err, _, stderr := gtrainSweep(context.Background(), "run", path, "--out", whole, "--workers", "2", "--no-html"); err != nil {
		t.Fatal(err, stderr)
	}
	for _, r := range st.Plan.Runs {
		a, _ := os.ReadFile(filepath.Join(whole, r.ID, runfiles.ModelFile))
		b, _ := os.ReadFile(filepath.Join(out, r.ID, runfiles.ModelFile))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("run %s: model.json differs from the uninterrupted sweep's", r.ID)
		}
	}
}
