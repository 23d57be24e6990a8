package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/sweep"
)

// bigSweep writes a sweep file of keys × 10 values: 10^keys runs.
func bigSweep(t *testing.T, keys int) string {
	t.Helper()
	names := []string{"epochs", "batch", "seed", "lambda", "eta", "init_std", "early_stop"}[:keys]
	text := "grid:\n"
	for _, k := range names {
		text += "  " + k + ": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
	}
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every command that expands a sweep file refuses one of more runs than
// --max-runs (default sweep.DefaultMaxRuns) with one line giving the count;
// 'sweep plan' of 10^7 runs used to die of memory.
func TestSweepMaxRuns(t *testing.T) {
	big := bigSweep(t, 7)
	small := writeSweep(t, syntheticDir(t, 20), "0.01", "0.02") // 4 runs
	out := filepath.Join(t.TempDir(), "sweep")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"plan", big}, "the sweep has 10000000 runs, more than the limit of 10000 (--max-runs N raises the limit)"},
		{[]string{"plan", small, "--max-runs", "3"}, "the sweep has 4 runs, more than the limit of 3"},
		{[]string{"run", small, "--max-runs", "3", "--out", out}, "the sweep has 4 runs, more than the limit of 3"},
		{[]string{"run-one", small, "--index", "0", "--max-runs", "3", "--out", out}, "the sweep has 4 runs, more than the limit of 3"},
		{[]string{"slurm", small, "--max-runs", "3", "--out", out}, "the sweep has 4 runs, more than the limit of 3"},
		{[]string{"plan", small, "--max-runs", "0"}, "--max-runs 0: must be ≥ 1"},
	}
	for _, c := range cases {
		err, _, _ := gtrainSweep(context.Background(), c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one line with %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused sweep wrote %s", out)
	}
	err, stdout, _ := gtrainSweep(context.Background(), "plan", small, "--max-runs", "4")
	if err != nil || !strings.Contains(stdout, "4 runs") {
		t.Fatalf("at the limit: %v\n%s", err, stdout)
	}
	// The array's tasks expand the file under the limit of the script.
	err, _, stderr := gtrainSweep(context.Background(), "slurm", small, "--max-runs", "4", "--out", out)
	script, _ := os.ReadFile(filepath.Join(out, sweep.SlurmScriptName))
	if err != nil || !strings.Contains(string(script), " --max-runs 4\n") {
		t.Fatalf("slurm: %v %s\n%s", err, stderr, script)
	}
}

// The plan's table and JSON are what a tabwriter and json.MarshalIndent
// made of the plan, written a run at a time.
func TestSweepPlanOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	os.WriteFile(path, []byte("name: \"<λ>\"\ngrid: {eta: [0.1, 0.2]}\nruns:\n  - {name: \"λ=0 η\", lambda: 0}\n  - {}\n  - {name: only, batch: 7}\nrepeats: 2\n"), 0o644)
	for _, path := range []string{path, bigSweep(t, 3)} {
		base := config.DefaultConfig()
		base.Data.Dir = defaultDataDir() // as the command's: $CIFAR10_DIR or the cache
		p, err := sweep.Load(path, sweep.Options{Base: base, MaxRuns: 1000})
		if err != nil {
			t.Fatal(err)
		}
		all := make([]int, len(p.Runs))
		for i := range all {
			all[i] = i
		}
		stacks := sweep.Stacks(p.Runs, all, sweep.DefaultStack)
		stackOf := map[int]int{}
		for s, members := range stacks {
			for _, i := range members {
				stackOf[i] = s
			}
		}
		var want bytes.Buffer
		fmt.Fprintf(&want, "sweep %s: %d runs (%s), %s of up to 16 runs (--stack 16) on cpu\n", p.Name, len(p.Runs), p.File, sweep.Plural(len(stacks), "stack"))
		tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tid\tstack\trun")
		for _, r := range p.Runs {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\n", r.Index, r.ID, stackOf[r.Index], r.Label())
		}
		tw.Flush()
		err, stdout, stderr := gtrainSweep(context.Background(), "plan", path, "--max-runs", "1000")
		if err != nil || stdout != want.String() {
			t.Fatalf("%v %s\n%s\nwant\n%s", err, stderr, stdout, want.String())
		}
		err, stdout, _ = gtrainSweep(context.Background(), "plan", path, "--max-runs", "1000", "--stack", "1")
		if head, _, _ := strings.Cut(stdout, "\n"); err != nil || !strings.HasSuffix(head, ", each run alone (--stack 1)") {
			t.Fatalf("--stack 1: %v\n%s", err, stdout)
		}
		if err, _, _ := gtrainSweep(context.Background(), "plan", path, "--stack", "0"); err == nil || !strings.Contains(err.Error(), "--stack 0: want at least 1") {
			t.Fatalf("--stack 0: %v", err)
		}
		b, _ := json.MarshalIndent(p, "", "  ")
		err, stdout, stderr = gtrainSweep(context.Background(), "plan", path, "--json", "--max-runs", "1000")
		if err != nil || stdout != string(b)+"\n" {
			t.Fatalf("%v %s\n%s\nwant\n%s", err, stderr, stdout, b)
		}
	}
}

// SIGTERM stops 'sweep plan' while it expands a large plan, with exit
// 143 as every command: the expansion used to run on to its end (or to
// the end of memory).
func TestSweepPlanSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the subprocess test")
	}
	bin := buildGtrain(t)
	cmd := exec.Command(bin, "sweep", "plan", bigSweep(t, 7), "--max-runs", "10000000")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// It says when it starts to expand; then the signal.
	lines := bufio.NewScanner(stderr)
	var log strings.Builder
	for lines.Scan() && !strings.Contains(lines.Text(), "expanding 10000000 runs") {
		log.WriteString(lines.Text() + "\n")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for lines.Scan() {
			log.WriteString(lines.Text() + "\n")
		}
		done <- cmd.Wait()
	}()
	// Expanding the 10^7 runs takes longer than this (and gigabytes); the
	// loop looks at the context every ctxEvery runs, a millisecond or so.
	const bound = 5 * time.Second
	start := time.Now()
	select {
	case err = <-done:
		t.Logf("exit %v after %v", err, time.Since(start))
	case <-time.After(bound):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sweep plan still running %v after SIGTERM", bound)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 || !strings.Contains(log.String(), "gtrain: received terminated") {
		t.Fatalf("exit %v, want 143\n%s", err, log.String())
	}
}

// A plan with networks stacks them on the CPU, apart from the linear runs
// beside them (a stack's members share one architecture).
func TestSweepPlanNetworks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.yaml")
	os.WriteFile(path, []byte("name: n\ngrid: {lambda: [0, 0.1]}\nruns:\n  - {}\n  - {hidden: [50]}\n  - {hidden: [50], batch_norm: true}\n"), 0o644)
	err, stdout, stderr := gtrainSweep(context.Background(), "plan", path)
	head, rest, _ := strings.Cut(stdout, "\n")
	if err != nil || !strings.HasSuffix(head, "3 stacks of up to 16 runs (--stack 16) on cpu") {
		t.Fatalf("%v %s\n%s", err, stderr, stdout)
	}
	for _, want := range []string{"  0      lambda=0\n", "  0      lambda=0.1\n", "  1      lambda=0 hidden=[50]\n", "  1      lambda=0.1 hidden=[50]\n",
		"  2      lambda=0 hidden=[50] batch_norm=true\n", "  2      lambda=0.1 hidden=[50] batch_norm=true\n"} {
		if !strings.Contains(rest, want) {
			t.Errorf("no row ending %q in\n%s", want, rest)
		}
	}
}
