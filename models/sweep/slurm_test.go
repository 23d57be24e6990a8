package sweep

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestArraySpec(t *testing.T) {
	for want, in := range map[string][]int{
		"0":           {0},
		"0-3":         {3, 1, 0, 2},
		"0-3,5,7-9":   {0, 1, 2, 3, 5, 7, 8, 9},
		"2,4,6":       {6, 4, 2},
		"10-11,13-14": {10, 11, 13, 14},
		"0-1,100-102": {0, 1, 100, 101, 102},
		"3":           {3, 3},
		"1-2,4":       {1, 2, 2, 4},
	} {
		if got := ArraySpec(in); got != want {
			t.Errorf("%v: %q, want %q", in, got, want)
		}
	}
}

func TestSlurmScript(t *testing.T) {
	p := gridPlan(t, 5, Options{})
	opt := SlurmOptions{Gtrain: "/opt/gtrain bin/gtrain", File: "/s/sweep's.yaml", Out: "/shared/out",
		Indices: []int{0, 1, 2, 4}, Partition: "gpu", GPUsPerTask: 1, CPUsPerTask: 2, Time: "01:30:00", MaxParallel: 2,
		Memory: "4G", Env: []string{"CIFAR10_DIR=/data/cifar 10"}, RunOneArgs: []string{"--data", "/data/x"}}
	s, err := SlurmScript(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#!/bin/bash\n",
		"#SBATCH --job-name=gtrain-t\n",
		"#SBATCH --array=0-2,4%2\n",
		"#SBATCH --output=/shared/out/slurm/%A_%a.out\n",
		"#SBATCH --partition=gpu\n",
		"#SBATCH --gpus-per-task=1\n",
		"#SBATCH --cpus-per-task=2\n",
		"#SBATCH --mem=4G\n",
		"#SBATCH --time=01:30:00\n",
		"export CIFAR10_DIR='/data/cifar 10'\n",
		"  " + p.Runs[3].ID + " # 3 eta=0.04\n",
		`exec '/opt/gtrain bin/gtrain' sweep run-one '/s/sweep'\''s.yaml' --index "$i" --out /shared/out --expect-id "${ids[$i]}" --devices cuda:0 --data /data/x` + "\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	// bash reads it, and task i runs run i.
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sbatch")
	os.WriteFile(path, []byte(s), 0o755)
	if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	fake := filepath.Join(dir, "gtrain")
	os.WriteFile(fake, []byte("#!/bin/sh\necho \"$@\"\n"), 0o755)
	opt.Gtrain, opt.Env, opt.RunOneArgs, opt.GPUsPerTask = fake, nil, nil, 0
	s, _ = SlurmScript(p, opt)
	os.WriteFile(path, []byte(s), 0o755)
	cmd := exec.Command("bash", path)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=4")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := "sweep run-one /s/sweep's.yaml --index 4 --out /shared/out --expect-id " + p.Runs[4].ID + " --devices cpu\n"; string(out) != want {
		t.Fatalf("task 4 runs\n%s\nwant\n%s", out, want)
	}

	for _, bad := range []SlurmOptions{
		{Gtrain: "gtrain", File: "/f", Out: "/o"},
		{Gtrain: "/g", File: "/f", Out: "/o", Indices: []int{5}},
		{Gtrain: "/g", File: "/f", Out: "/o", Indices: []int{}},
		{Gtrain: "/g", File: "/f", Out: "/o", Time: "1h; rm -rf /"},
		{Gtrain: "/g", File: "/f", Out: "/o", Env: []string{"A B=1"}},
	} {
		if _, err := SlurmScript(p, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestSlurmScriptStacked: with Stack, array task i trains stack i, the
// runs members[i] with their ids; bash runs what the script says.
func TestSlurmScriptStacked(t *testing.T) {
	p := gridPlan(t, 5, Options{}) // 5 runs that share every mini-batch
	dir := t.TempDir()
	fake := filepath.Join(dir, "gtrain")
	os.WriteFile(fake, []byte("#!/bin/sh\necho \"$@\"\n"), 0o755)
	opt := SlurmOptions{Gtrain: fake, File: "/s/s.yaml", Out: "/o", Indices: []int{0, 1, 3, 4}, Stack: 2}
	s, err := SlurmScript(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, "#SBATCH --array=0-1\n") || !strings.Contains(s, "  3,4 # stack 1\n") {
		t.Fatalf("script:\n%s", s)
	}
	path := filepath.Join(dir, "s.sbatch")
	os.WriteFile(path, []byte(s), 0o755)
	cmd := exec.Command("bash", path)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := "sweep run-one /s/s.yaml --index 3,4 --out /o --expect-id " + p.Runs[3].ID + "," + p.Runs[4].ID + " --devices cpu\n"; string(out) != want {
		t.Fatalf("task 1 runs\n%s\nwant\n%s", out, want)
	}
	// Stack 1, or stacks of one run each: a task per run, as without.
	for _, n := range []int{0, 1} {
		opt.Stack = n
		if s, _ := SlurmScript(p, opt); !strings.Contains(s, "#SBATCH --array=0-1,3-4\n") {
			t.Errorf("stack %d:\n%s", n, s)
		}
	}
}
