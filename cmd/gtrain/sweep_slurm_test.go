package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
	"github.com/gtrain/gtrain/models/sweep"
)

// TestSweepSlurm submits a small sweep on synthetic data to a real Slurm as
// a job array, a task per run (--stack 1) and then stacked (one task
// trains the 6 runs as one stack), waits for each and checks every run. It
// needs a cluster (.ci/slurm-up.sh starts a one-node one on this machine)
// and runs only with GTRAIN_SLURM_TEST=1; .ci/run does both.
func TestSweepSlurm(t *testing.T) {
	if os.Getenv("GTRAIN_SLURM_TEST") != "1" {
		t.Skip("set GTRAIN_SLURM_TEST=1 with a Slurm cluster up (.ci/slurm-up.sh starts one)")
	}
	for _, tool := range []string{"sbatch", "squeue", "scontrol", "scancel"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("GTRAIN_SLURM_TEST=1 but %s is not installed: %v", tool, err)
		}
	}
	// The array tasks run the gtrain binary, built here.
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "gtrain")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "sweep", "--help").CombinedOutput(); err != nil {
		t.Fatalf("the gtrain binary has no sweep command (main.go must list sweepCommand()): %v\n%s", err, out)
	}
	dataDir := syntheticDir(t, 40)
	file := writeSweep(t, dataDir, "0.01", "0.02", "0.005") // 6 runs
	p, err := sweep.Load(file, sweep.Options{Base: config.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	gtrainBin := func(args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "CIFAR10_DIR=") // the file names the data
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		return so.String(), se.String(), err
	}
	for _, c := range []struct {
		stack string
		tasks int
	}{{"1", len(p.Runs)}, {"16", 1}} {
		t.Run("stack="+c.stack, func(t *testing.T) {
			submitAndCheck(t, gtrainBin, file, filepath.Join(tmp, "sweep"+c.stack), p, c.stack, c.tasks)
		})
	}
}

func submitAndCheck(t *testing.T, gtrainBin func(args ...string) (string, string, error), file, out string, p *sweep.Plan, stack string, tasks int) {
	stdout, stderr, err := gtrainBin("sweep", "slurm", file, "--out", out, "--submit", "--time", "10", "--max-parallel", "2", "--cpus-per-task", "1", "--stack", stack)
	if err != nil {
		t.Fatalf("sweep slurm --submit: %v\n%s%s", err, stdout, stderr)
	}
	job := strings.TrimSpace(stdout)
	if !regexp.MustCompile(`^[0-9]+$`).MatchString(job) {
		t.Fatalf("sweep slurm --submit printed %q, want the job id\n%s", stdout, stderr)
	}
	t.Logf("submitted job %s: %s", job, strings.TrimSpace(stderr))
	finished := false
	t.Cleanup(func() {
		if !finished {
			exec.Command("scancel", job).Run()
		}
	})

	// Wait (at most 5 minutes) until no task of the job is queued or
	// running.
	deadline := time.Now().Add(5 * time.Minute)
	for {
		q, err := exec.Command("squeue", "-h", "-j", job, "-o", "%i %T").Output()
		if err != nil {
			t.Fatalf("squeue: %v", err)
		}
		if strings.TrimSpace(string(q)) == "" {
			break
		}
		if time.Now().After(deadline) {
			st, _, _ := gtrainBin("sweep", "status", out)
			t.Fatalf("job %s still queued or running after 5 minutes:\n%s\n%s", job, q, st)
		}
		time.Sleep(time.Second)
	}
	finished = true

	// Every task completed (Slurm keeps finished jobs for MinJobAge).
	if info, err := exec.Command("scontrol", "show", "job", job).Output(); err == nil {
		states := regexp.MustCompile(`JobState=(\w+)`).FindAllStringSubmatch(string(info), -1)
		if len(states) != tasks {
			t.Errorf("scontrol shows %d tasks, want %d:\n%s", len(states), tasks, info)
		}
		for _, s := range states {
			if s[1] != "COMPLETED" {
				t.Errorf("a task ended %s:\n%s", s[1], info)
				break
			}
		}
	} else {
		t.Logf("scontrol show job %s: %v (the job record is gone)", job, err)
	}

	// Every run is done, in its run directory, with the log of its task.
	stdout, stderr, err = gtrainBin("sweep", "status", out)
	if err != nil || !strings.Contains(stdout, "6 runs: 6 done, 0 running, 0 failed, 0 missing") {
		logs, _ := filepath.Glob(filepath.Join(out, "slurm", "*.out"))
		var text string
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			text += l + ":\n" + string(b)
		}
		t.Fatalf("status: %v\n%s%s\ntask logs:\n%s", err, stdout, stderr, text)
	}
	t.Logf("status:\n%s", stdout)
	for _, r := range p.Runs {
		dir := filepath.Join(out, r.ID)
		res, err := runfiles.ReadResult(dir)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := runfiles.ReadConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		if res.ConfigHash != r.ID || cfg.Loss != r.Config.Loss || cfg.Eta != r.Config.Eta || res.Partial {
			t.Errorf("run %d: config %+v, result %+v", r.Index, cfg, res)
		}
		if acc := res.Splits["test"].AccuracyTrained; acc <= 0 || acc > 1 {
			t.Errorf("run %d: test accuracy %v", r.Index, acc)
		}
		for _, f := range []string{runfiles.MetricsFile, "model.json"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
		for _, f := range []string{sweep.RunningFile, sweep.FailedFile} {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				t.Errorf("run %d: %s left behind", r.Index, f)
			}
		}
		task := r.Index // a task per run, or the one stack's
		if tasks == 1 {
			task = 0
		}
		logFile := filepath.Join(out, "slurm", job+"_"+strconv.Itoa(task)+".out")
		if b, err := os.ReadFile(logFile); err != nil || !strings.Contains(string(b), r.ID) {
			t.Errorf("task log %s: %v\n%s", logFile, err, b)
		}
	}

	// The sweep is complete: a second submission has nothing to do.
	stdout, stderr, err = gtrainBin("sweep", "slurm", file, "--out", out, "--submit")
	if err != nil || !strings.Contains(stdout, "nothing to submit") {
		t.Fatalf("resubmission: %v\n%s%s", err, stdout, stderr)
	}
}
