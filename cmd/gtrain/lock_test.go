package main

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/rundir"
	"github.com/gtrain/gtrain/models/runfiles"
	"github.com/gtrain/gtrain/models/sweep"
)

// started is a gtrain process of a test, with its output.
type started struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan error // receives cmd.Wait's error
}

func start(t *testing.T, bin string, args ...string) *started {
	t.Helper()
	p := &started{cmd: exec.Command(bin, args...), done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), "CIFAR10_DIR=")
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

// runBin runs a gtrain process to its end: exit code, stdout, stderr.
func runBin(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	p := start(t, bin, args...)
	err := <-p.done
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return p.cmd.ProcessState.ExitCode(), p.stdout.String(), p.stderr.String()
}

// waitFile waits until path exists or p exits.
func waitFile(t *testing.T, p *started, path string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case err := <-p.done:
			t.Fatalf("exited (%v) before writing %s\n%s", err, path, p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 2 minutes\n%s", path, p.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// freeze stops p with SIGSTOP and waits until it is stopped, so that it
// owns whatever it owned, for as long as the test needs.
func freeze(t *testing.T, p *started) {
	t.Helper()
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil); err != nil || !ws.Stopped() {
		t.Fatalf("pid %d did not stop (%v, status %v): it finished too early\n%s", pid, err, ws, p.stderr.String())
	}
}

// TestTwoTrainsOneDir: of two trainings into one --out started together,
// the second is refused with the first's pid; the first's run directory is
// its own alone. The first is held between its check of the directory and
// its config.json by reading its first batch from a FIFO.
func TestTwoTrainsOneDir(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the subprocess test")
	}
	bin := buildGtrain(t)
	dataDir := syntheticDir(t, 40)
	held := t.TempDir()
	names, _ := filepath.Glob(filepath.Join(dataDir, "*.bin"))
	for _, n := range names {
		dst := filepath.Join(held, filepath.Base(n))
		if filepath.Base(n) == "data_batch_1.bin" {
			if err := syscall.Mkfifo(dst, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if err := os.Link(n, dst); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--epochs", "3", "--batch", "20", "--out", out, "-q"}
	a := start(t, bin, append(args, "--data", held, "--lambda", "0")...)
	opened := make(chan *os.File, 1)
	go func() {
		// Returns once A opens the FIFO to read it.
		if f, err := os.OpenFile(filepath.Join(held, "data_batch_1.bin"), os.O_WRONLY, 0); err == nil {
			opened <- f
		}
	}()
	var fifo *os.File
	select {
	case fifo = <-opened:
	case err := <-a.done:
		t.Fatalf("the first training exited (%v) before reading its data\n%s", err, a.stderr.String())
	}

	code, _, stderr := runBin(t, bin, append(args, "--data", dataDir, "--lambda", "0.1")...)
	want := fmt.Sprintf("gtrain: --out %s is in use by gtrain pid %d", out, a.cmd.Process.Pid)
	if code == 0 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, want) {
		t.Errorf("second training: exit %d, stderr %q; want a non-zero exit and one line %q…", code, stderr, want)
	}

	batch, err := os.ReadFile(filepath.Join(dataDir, "data_batch_1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	fifo.Write(batch)
	fifo.Close()
	if err := <-a.done; err != nil {
		t.Fatalf("first training: %v\n%s", err, a.stderr.String())
	}
	// Every file is the first training's.
	cfg, err := runfiles.ReadConfig(out)
	if err != nil || cfg.Lambda != 0 {
		t.Fatalf("config.json: %+v, %v", cfg, err)
	}
	if ck, err := runfiles.ReadCheckpoint(out, cfg); err != nil || !ck.Finished {
		t.Errorf("checkpoint of config.json's run: %v", err)
	}
	if res, err := runfiles.ReadResult(out); err != nil || res.ConfigHash != cfg.Hash() || len(res.EpochSeconds) != 3 {
		t.Errorf("result.json: %+v, %v; want config.json's %s", res, err, cfg.Hash())
	}
	if _, err := os.Stat(filepath.Join(out, rundir.LockFile)); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
}

// TestKilledOwnerReleasesRunDir: while a training runs, --resume of its
// directory is refused; once it is killed with SIGKILL, --resume takes the
// directory and finishes the run.
func TestKilledOwnerReleasesRunDir(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the subprocess test")
	}
	bin := buildGtrain(t)
	dataDir := syntheticDir(t, 40)
	out := filepath.Join(t.TempDir(), "run")
	a := start(t, bin, "train", "--data", dataDir, "--epochs", "150", "--batch", "20", "--out", out, "-q")
	waitFile(t, a, filepath.Join(out, runfiles.CheckpointFile))
	freeze(t, a)
	code, _, stderr := runBin(t, bin, "train", "--resume", out, "-q")
	if want := fmt.Sprintf("gtrain: --resume %s is in use by gtrain pid %d", out, a.cmd.Process.Pid); code == 0 || !strings.HasPrefix(stderr, want) {
		t.Errorf("--resume of a live run: exit %d, stderr %q; want %q…", code, stderr, want)
	}
	a.cmd.Process.Kill()
	<-a.done
	if _, err := os.Stat(filepath.Join(out, rundir.LockFile)); err != nil {
		t.Fatalf("the killed owner's lock file: %v", err)
	}
	if code, _, stderr := runBin(t, bin, "train", "--resume", out, "-q"); code != 0 {
		t.Fatalf("--resume after the owner was killed: exit %d\n%s", code, stderr)
	}
	if res, err := runfiles.ReadResult(out); err != nil || res.Partial || len(res.EpochSeconds) != 150 {
		t.Errorf("result after resume: %+v, %v", res, err)
	}
}

// TestRunOneTwice: 'sweep run-one --index 0' started while another task
// trains that run (a double submission, a requeue) exits 0 saying so,
// without training it or touching its running marker.
func TestRunOneTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the subprocess test")
	}
	bin := buildGtrain(t)
	dataDir := syntheticDir(t, 40)
	file := filepath.Join(t.TempDir(), "twice.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf("name: twice\nepochs: 100\nbatch: 20\ndata: {dir: %q}\ngrid: {eta: [0.01]}\n", dataDir)), 0o644)
	p, err := sweep.Load(file, sweep.Options{Base: config.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	r := &p.Runs[0]
	out := filepath.Join(t.TempDir(), "sweep")
	dir := sweep.RunDir(out, r)
	args := []string{"sweep", "run-one", file, "--index", "0", "--out", out}

	a := start(t, bin, args...)
	waitFile(t, a, filepath.Join(dir, runfiles.CheckpointFile))
	freeze(t, a)
	code, stdout, stderr := runBin(t, bin, args...)
	pid := fmt.Sprintf("pid %d", a.cmd.Process.Pid)
	if code != 0 || !strings.Contains(stderr, "another task has it") || !strings.Contains(stderr, pid) || stdout != "" {
		t.Errorf("second run-one: exit %d, stdout %q, stderr %q; want exit 0 saying that %s has it, and no result", code, stdout, stderr, pid)
	}
	if b, err := os.ReadFile(filepath.Join(dir, sweep.RunningFile)); err != nil || !strings.Contains(string(b), fmt.Sprintf(`"pid":%d`, a.cmd.Process.Pid)) {
		t.Errorf("running marker while the first task trains: %q, %v", b, err)
	}
	syscall.Kill(a.cmd.Process.Pid, syscall.SIGCONT)
	if err := <-a.done; err != nil {
		t.Fatalf("first run-one: %v\n%s", err, a.stderr.String())
	}
	st := sweep.StatusOf(out, r)
	b, _ := os.ReadFile(filepath.Join(dir, runfiles.MetricsFile))
	if st.State != sweep.Done || strings.Count(string(b), "\n") != 101 {
		t.Errorf("after the first task: %s, metrics.csv of %d lines (want a header and 100 epochs)", st.State, strings.Count(string(b), "\n"))
	}
	for _, f := range []string{sweep.RunningFile, sweep.FailedFile, rundir.LockFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", f, err)
		}
	}
}

// TestOutIsAFile: --out naming a file is refused in one line, with or
// without --force, and the file is kept.
func TestOutIsAFile(t *testing.T) {
	dataDir := syntheticDir(t, 20)
	file := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(file, []byte("mine\n"), 0o644)
	for _, extra := range [][]string{nil, {"--force"}} {
		code, _, stderr := gtrain(t, append([]string{"train", "--data", dataDir, "--epochs", "1", "--batch", "10", "--out", file}, extra...)...)
		if want := "gtrain: --out " + file + " is a file, not a directory\n"; code == 0 || stderr != want {
			t.Errorf("%v: exit %d, stderr %q; want %q", extra, code, stderr, want)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "mine\n" {
		t.Errorf("the file now holds %q", b)
	}
}

// TestCompleteRunNotRetrained: the same training again prints the complete
// run's result block without training; --force trains it again; so does a
// finished run that lacks model.json, with a hint to --resume.
func TestCompleteRunNotRetrained(t *testing.T) {
	dataDir := syntheticDir(t, 40)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--data", dataDir, "--epochs", "2", "--batch", "20", "--out", out}
	code, first, stderr := gtrain(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	result, _ := os.ReadFile(filepath.Join(out, runfiles.ResultFile))

	code, again, stderr := gtrain(t, args...)
	if code != 0 || again != first || !strings.Contains(stderr, out+": the run is complete (2 epochs)") || strings.Contains(stderr, "epoch ") {
		t.Errorf("again: exit %d, stderr %q, stdout\n%s\nwant exit 0, the first run's result block and no training", code, stderr, again)
	}
	if b, _ := os.ReadFile(filepath.Join(out, runfiles.ResultFile)); !bytes.Equal(b, result) {
		t.Error("result.json was written again")
	}

	code, _, stderr = gtrain(t, append(args, "--force")...)
	if b, _ := os.ReadFile(filepath.Join(out, runfiles.ResultFile)); code != 0 || bytes.Equal(b, result) {
		t.Errorf("--force: exit %d, result.json rewritten: %v\n%s", code, !bytes.Equal(b, result), stderr)
	}

	// Finished without its model (a full disk at the end): the missing
	// files are written from the checkpoint, without training again.
	model, _ := os.ReadFile(filepath.Join(out, runfiles.ModelFile))
	os.Remove(filepath.Join(out, runfiles.ModelFile))
	code, _, stderr = gtrain(t, args...)
	want := out + " finished its 2 epochs without its final files; writing them from the checkpoint\n"
	if b, _ := os.ReadFile(filepath.Join(out, runfiles.ModelFile)); code != 0 || !strings.HasPrefix(stderr, want) || !bytes.Equal(b, model) || strings.Contains(stderr, "epoch 1") {
		t.Errorf("without model.json: exit %d, model.json rewritten as it was: %v, stderr %q; want %q and no training", code, bytes.Equal(b, model), stderr, want)
	}

	// Interrupted: refused, pointing at --resume; nothing is touched.
	run := interruptedRun(t, out, 2, 1)
	before := snapshot(t, run)
	code, _, stderr = gtrain(t, "train", "--data", dataDir, "--epochs", "2", "--batch", "20", "--out", run)
	want = fmt.Sprintf("gtrain: --out %s holds this run, interrupted after epoch 1 of 2: continue it with 'gtrain train --resume %s', or start over with --force\n", run, run)
	if code == 0 || stderr != want {
		t.Errorf("interrupted: exit %d, stderr %q; want non-zero and %q", code, stderr, want)
	}
	if after := snapshot(t, run); !maps.Equal(before, after) {
		t.Error("the refused train changed the interrupted run's directory")
	}
}
