package sweep

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// SlurmOptions describe the job array of a sweep.
type SlurmOptions struct {
	Gtrain      string   // the gtrain binary, as the compute nodes see it (absolute)
	File        string   // the sweep file (absolute)
	Out         string   // the sweep directory, on storage the nodes share (absolute)
	Indices     []int    // the array's tasks: runs of the plan; nil: all
	Partition   string   // --partition; "" for the cluster's default
	GPUsPerTask int      // --gpus-per-task; 0 for CPU runs
	CPUsPerTask int      // --cpus-per-task; 0 for the cluster's default
	Time        string   // --time, e.g. "02:00:00"; "" for the partition's default
	MaxParallel int      // tasks at once (the array's %M); 0 for no limit
	Memory      string   // --mem, e.g. "8G"; "" for the default
	JobName     string   // default gtrain-<sweep name>
	Env         []string // "NAME=value" exported by the script before gtrain runs
	RunOneArgs  []string // more arguments of run-one (--data D)
	// Stack groups the runs into stacks of up to Stack runs (Stacks), one
	// array task each; ≤ 1: a task per run. The caller says 1 for a device
	// whose engine trains runs alone.
	Stack int
}

// SlurmScriptName is the name of the script in the sweep directory.
const SlurmScriptName = "sweep.sbatch"

// SlurmScript returns an sbatch script whose array task i runs
// `gtrain sweep run-one FILE --index i --out OUT`, checking that run i
// still has the id it had when the script was written. With opt.Stack > 1
// runs that share every mini-batch are grouped into stacks and task i
// trains stack i: `run-one --index 3,5,8 --expect-id ID3,ID5,ID8`.
func SlurmScript(p *Plan, opt SlurmOptions) (string, error) {
	if len(p.Runs) == 0 {
		return "", fmt.Errorf("sweep %s has no runs", p.Name)
	}
	for _, path := range []struct{ name, v string }{{"gtrain binary", opt.Gtrain}, {"sweep file", opt.File}, {"output directory", opt.Out}} {
		if !filepath.IsAbs(path.v) {
			return "", fmt.Errorf("slurm: the %s %q must be an absolute path", path.name, path.v)
		}
	}
	indices := opt.Indices
	if indices == nil {
		for i := range p.Runs {
			indices = append(indices, i)
		}
	}
	if len(indices) == 0 {
		return "", fmt.Errorf("sweep %s: no runs left to submit", p.Name)
	}
	for _, i := range indices {
		if i < 0 || i >= len(p.Runs) {
			return "", fmt.Errorf("slurm: index %d outside the plan's %d runs", i, len(p.Runs))
		}
	}
	if opt.Time != "" && !regexp.MustCompile(`^[0-9:-]+$`).MatchString(opt.Time) {
		return "", fmt.Errorf("slurm: --time %q: want minutes, MM:SS, HH:MM:SS or D-HH:MM:SS", opt.Time)
	}
	stacks := Stacks(p.Runs, indices, opt.Stack)
	stacked := len(stacks) < len(indices)
	name := opt.JobName
	if name == "" {
		name = "gtrain-" + p.Name
	}
	array := ArraySpec(indices)
	if stacked {
		array = fmt.Sprintf("0-%d", len(stacks)-1)
	}
	if opt.MaxParallel > 0 {
		array += "%" + strconv.Itoa(opt.MaxParallel)
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("#!/bin/bash")
	w("#SBATCH --job-name=%s", slurmSafe(name))
	w("#SBATCH --array=%s", array)
	w("#SBATCH --ntasks=1")
	w("#SBATCH --output=%s", filepath.Join(opt.Out, "slurm", "%A_%a.out"))
	if opt.Partition != "" {
		w("#SBATCH --partition=%s", slurmSafe(opt.Partition))
	}
	if opt.GPUsPerTask > 0 {
		w("#SBATCH --gpus-per-task=%d", opt.GPUsPerTask)
	}
	if opt.CPUsPerTask > 0 {
		w("#SBATCH --cpus-per-task=%d", opt.CPUsPerTask)
	}
	if opt.Memory != "" {
		w("#SBATCH --mem=%s", slurmSafe(opt.Memory))
	}
	if opt.Time != "" {
		w("#SBATCH --time=%s", opt.Time)
	}
	w("")
	w("# Written by 'gtrain sweep slurm' for the sweep %s (%d runs) of", p.Name, len(p.Runs))
	w("# %s.", opt.File)
	if stacked {
		w("# Array task i trains the runs members[i] of the plan, which share every")
		w("# mini-batch, as one stack (up to %d runs), each into %s/<run id>;", opt.Stack, opt.Out)
	} else {
		w("# Array task i trains run i of the plan into %s/<run id>;", opt.Out)
	}
	w("# 'gtrain sweep status %s' shows how far the sweep is.", opt.Out)
	w("set -euo pipefail")
	for _, e := range opt.Env {
		k, v, ok := strings.Cut(e, "=")
		if !ok || !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(k) {
			return "", fmt.Errorf("slurm: environment entry %q: want NAME=value", e)
		}
		w("export %s=%s", k, shellQuote(v))
	}
	w("")
	index, expect := `"$i"`, `"${ids[$i]}"`
	if stacked {
		w("# The runs of each stack, and their ids when the script was written:")
		w("# run-one refuses to train other runs if the sweep file has changed since.")
		w("members=(")
		for s, members := range stacks {
			w("  %s # stack %d", joinInts(members), s)
		}
		w(")")
		w("ids=(")
		for _, members := range stacks {
			ids := make([]string, len(members))
			for j, i := range members {
				ids[j] = p.Runs[i].ID
			}
			w("  %s", strings.Join(ids, ","))
		}
		w(")")
		index = `"${members[$i]}"`
	} else {
		w("# The run id of each index when the script was written: run-one refuses")
		w("# to train another run if the sweep file has changed since.")
		w("ids=(")
		for i := range p.Runs {
			w("  %s # %d %s", p.Runs[i].ID, i, oneLine(p.Runs[i].Label()))
		}
		w(")")
	}
	w("i=${SLURM_ARRAY_TASK_ID:?not an array task}")
	device := "cpu"
	if opt.GPUsPerTask > 0 {
		device = "cuda:0" // Slurm shows the task its own GPUs, from 0
	}
	args := []string{shellQuote(opt.Gtrain), "sweep", "run-one", shellQuote(opt.File),
		"--index", index, "--out", shellQuote(opt.Out), "--expect-id", expect, "--devices", device}
	for _, a := range opt.RunOneArgs {
		args = append(args, shellQuote(a))
	}
	w("exec %s", strings.Join(args, " "))
	return b.String(), nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// ArraySpec writes indices as Slurm's --array list: "0-3,5,7-9".
func ArraySpec(indices []int) string {
	s := append([]int(nil), indices...)
	sort.Ints(s)
	var parts []string
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] <= s[j]+1 {
			j++
		}
		if s[j] == s[i] {
			parts = append(parts, strconv.Itoa(s[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", s[i], s[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// Submit runs sbatch on the script and returns the job id.
func Submit(ctx context.Context, sbatch, script string) (string, error) {
	if sbatch == "" {
		sbatch = "sbatch"
	}
	cmd := exec.CommandContext(ctx, sbatch, "--parsable", script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("sbatch %s: %s", script, msg)
	}
	// --parsable prints "jobid" or "jobid;cluster".
	id, _, _ := strings.Cut(strings.TrimSpace(stdout.String()), ";")
	if id == "" || !isDigits(id) {
		return "", fmt.Errorf("sbatch %s: no job id in its output %q", script, stdout.String())
	}
	return id, nil
}

// shellQuote quotes s for bash: 'it'\”s'.
func shellQuote(s string) string {
	if s != "" && regexp.MustCompile(`^[A-Za-z0-9_./:=@%+-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// slurmSafe keeps #SBATCH values to one word.
func slurmSafe(s string) string {
	return regexp.MustCompile(`[^A-Za-z0-9_.,:+=@-]`).ReplaceAllString(s, "_")
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
