package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/runfiles"
)

// A sweep whose runs state figures: sweep run prints the published-vs-
// measured table, sweep check passes, and fails naming the run when a
// figure is out of reach; gtrain report shows the figures of a sweep
// directory's runs too.
func TestSweepCheckCommand(t *testing.T) {
	dataDir := syntheticDir(t, 40)
	dir := t.TempDir()
	write := func(name, testFigure string) string {
		path := filepath.Join(dir, name)
		text := fmt.Sprintf(`name: figures
epochs: 1
batch: 20
data: {dir: %q}
runs:
  - name: half
    loss: svm
    lambda: 0.1
    l2: half
    grid: {eta: [0.01, 0.02]}
    expect:
      - {when: {eta: 0.01}, test_accuracy: %s, train_cost: {at_least: 0}}
      - {when: {eta: 0.02}, val_accuracy: {at_most: 100}}
`, dataDir, testFigure)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	out := filepath.Join(dir, "sweep")
	err, stdout, stderr := gtrainSweep(context.Background(), "run", write("ok.yaml", "{at_least: 0}"), "--out", out, "--no-html")
	if err != nil {
		t.Fatal(err, stderr)
	}
	for _, want := range []string{"### published and measured", "| half: loss=svm lambda=0.1 l2=half eta=0.01 (", "| test_accuracy | ≥ 0.00 |", "| ✓ |", "3 figures: 3 reproduced, 0 missed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("sweep run's output lacks %q:\n%s", want, stdout)
		}
	}
	err, stdout, _ = gtrainSweep(context.Background(), "check", out)
	if err != nil || strings.Count("\n"+stdout, "\n✓ ") != 2 ||
		!strings.Contains(stdout, "sweep figures: 2 runs, 3 figures: 3 reproduced, 0 missed") {
		t.Fatalf("check: %v\n%s", err, stdout)
	}

	// The same runs (ids), a figure no run reaches: check fails, naming it.
	if err, _, stderr = gtrainSweep(context.Background(), "run", write("miss.yaml", "{at_least: 100}"), "--out", out, "--no-html"); err != nil {
		t.Fatal(err, stderr)
	}
	err, stdout, _ = gtrainSweep(context.Background(), "check", out)
	if err == nil || !strings.Contains(err.Error(), "1 runs miss their figures: ") || !strings.Contains(err.Error(), "(half: loss=svm lambda=0.1 l2=half eta=0.01)") ||
		!strings.Contains(stdout, "misses test_accuracy ≥ 100.00") {
		t.Errorf("check of a missed figure: %v\n%s", err, stdout)
	}

	// gtrain report of the sweep directory shows the figures.
	err, stdout, _ = gtrainReport(out)
	if err != nil || !strings.Contains(stdout, "### published and measured") || !strings.Contains(stdout, "| ✗ |") || !strings.Contains(stdout, "λ/2·‖W‖²") {
		t.Errorf("report: %v\n%s", err, stdout)
	}
	if err, _, _ := gtrainSweep(context.Background(), "check", dataDir); err == nil || !strings.Contains(err.Error(), "not a sweep directory") {
		t.Errorf("check of no sweep directory: %v", err)
	}
}

// --l2 half reaches config.json and the result block, and changes the run.
func TestTrainL2Flag(t *testing.T) {
	dir := syntheticDir(t, 40)
	outHalf, outFull := filepath.Join(t.TempDir(), "half"), filepath.Join(t.TempDir(), "full")
	args := []string{"train", "--data", dir, "--epochs", "2", "--batch", "20", "--lambda", "1", "-q"}
	code, stdout, stderr := gtrain(t, append(args, "--l2", "half", "--out", outHalf)...)
	if code != 0 {
		t.Fatal(stderr)
	}
	if !strings.Contains(stdout, "half (lambda/2 * ||W||^2)") {
		t.Errorf("result block lacks the l2:\n%s", stdout)
	}
	if code, _, stderr = gtrain(t, append(args, "--l2", "full", "--out", outFull)...); code != 0 {
		t.Fatal(stderr)
	}
	half, _ := runfiles.ReadConfig(outHalf)
	full, _ := runfiles.ReadConfig(outFull)
	rh, _ := runfiles.ReadResult(outHalf)
	rf, _ := runfiles.ReadResult(outFull)
	if half == nil || full == nil || rh == nil || rf == nil || half.L2 != "half" || rh.Splits["train"].CostTrained == rf.Splits["train"].CostTrained {
		t.Fatalf("configs %+v %+v", half, full)
	}
	def := config.DefaultConfig()
	def.Data.Dir, def.Epochs, def.Batch, def.Lambda = dir, 2, 20, 1
	if full.Hash() != def.Hash() {
		t.Errorf("--l2 full: hash %s, not the default's %s", full.Hash(), def.Hash())
	}
}
