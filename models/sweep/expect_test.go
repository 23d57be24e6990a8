package sweep

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/expect"
	"github.com/gtrain/gtrain/models/runfiles"
)

const expectSweep = `
name: t
epochs: 3
runs:
  - name: m3
    lambda: 0.1
    expect: {test_accuracy: 39.01, train_cost: 1.69, within: {accuracy: 1, cost: 0.05}}
  - name: m1
    lambda: 0
    eta: 0.1
    grid: {loss: [cross, svm]}
    expect:
      - {when: {loss: cross}, test_accuracy: 28.70, within: 2.5}
      - when: {loss: svm}
        test_accuracy: 30.04
        train_accuracy: {value: 42.80, within: 2.5, unreproduced: "unstable"}
        within: 2.5
`

// expect: gives each run its figures, by grid row, and changes no run's
// configuration or id.
func TestExpectPerRunAndRow(t *testing.T) {
	with := mustParse(t, expectSweep)
	var bare []string
	for _, l := range strings.Split(expectSweep, "\n") {
		if strings.Contains(l, "expect") || strings.HasPrefix(strings.TrimSpace(l), "- {when") || strings.HasPrefix(strings.TrimSpace(l), "- when") ||
			strings.Contains(l, "_accuracy") || strings.Contains(l, "within: 2.5") {
			continue
		}
		bare = append(bare, l)
	}
	without := mustParse(t, strings.Join(bare, "\n"))
	if len(with.Runs) != 3 || len(without.Runs) != 3 {
		t.Fatalf("runs %d and %d", len(with.Runs), len(without.Runs))
	}
	for i := range with.Runs {
		if with.Runs[i].ID != without.Runs[i].ID {
			t.Errorf("run %d: id %s with expect, %s without", i, with.Runs[i].ID, without.Runs[i].ID)
		}
		if without.Runs[i].Expect != nil {
			t.Errorf("run %d: figures %v without expect", i, without.Runs[i].Expect)
		}
	}
	keys := func(r Run) string {
		var ks []string
		for _, f := range r.Expect {
			ks = append(ks, f.Key)
		}
		return strings.Join(ks, ",")
	}
	for i, want := range []string{"test_accuracy,train_cost", "test_accuracy", "test_accuracy,train_accuracy"} {
		if got := keys(with.Runs[i]); got != want {
			t.Errorf("run %d (%s): figures %s, want %s", i, with.Runs[i].Label(), got, want)
		}
	}
	if f := with.Runs[2].Expect[0]; f.Value != 30.04 || f.Tol != 2.5 || f.Line != 15 {
		t.Errorf("svm row's test figure %+v", f)
	}
}

func TestExpectErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"runs:\n  - {lambda: 0, expect: {test_accuracy: 3, within: 1, tset_cost: 2}}\n",
			"s.yaml:2: runs[0].expect.tset_cost: unknown key"},
		{"runs:\n  - lambda: 0\n    grid: {loss: [cross, svm]}\n    expect: {when: {eta: 0.1}, test_accuracy: 3, within: 1}\n",
			"s.yaml:4: runs[0].expect.when.eta: not a key of the run's grid (loss)"},
		{"runs:\n  - lambda: 0\n    grid: {loss: [cross, svm]}\n    expect: {when: {loss: hinge}, test_accuracy: 3, within: 1}\n",
			"s.yaml:4: runs[0].expect.when.loss: hinge is not among the grid's values (cross, svm)"},
		{"runs:\n  - lambda: 0\n    expect: {when: {loss: svm}, test_accuracy: 3, within: 1}\n",
			"runs[0].expect.when.loss: this run has no grid"},
		{"grid: {loss: [cross, svm]}\nexpect: {test_accuracy: 3, within: 1}\nruns:\n  - lambda: 0\n    expect: {when: {loss: svm}, test_accuracy: 4, within: 1}\n",
			"s.yaml:5: expect.test_accuracy: run runs[0] (line 4), loss=svm (line 1): stated twice (lines 2 and 5)"},
		{"expect: {test_accuracy: 3}\n", "s.yaml:1: expect.test_accuracy: no tolerance"},
	} {
		_, err := parse(t, c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s\nerror %v\nwant one line with %q", c.text, err, c.want)
		}
	}
}

// fakeResults trains every run of p into out with results whose train
// and test accuracies and train cost are given per run.
func fakeResults(t *testing.T, out string, p *Plan, figs map[string][3]float64) {
	t.Helper()
	fn := func(ctx context.Context, r *Run, cfg config.Config, dir string) (*runfiles.Result, error) {
		if err := runfiles.WriteConfig(dir, &cfg); err != nil {
			return nil, err
		}
		f := figs[r.Name+r.Params[len(r.Params)-1].Value]
		res := &runfiles.Result{ConfigHash: cfg.Hash(), Device: cfg.Device, Dtype: cfg.Dtype, TotalSeconds: 1,
			Splits: map[string]runfiles.SplitResult{
				"train": {AccuracyTrained: f[0] / 100, CostTrained: f[2]},
				"val":   {AccuracyTrained: 0.3},
				"test":  {AccuracyTrained: f[1] / 100}}}
		return res, runfiles.WriteResult(dir, res)
	}
	rn := &Runner{Out: out, Devices: []string{"cpu"}, Workers: 1, Run: fn}
	if _, err := rn.Execute(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// sweep check passes on a sweep that reproduces its figures, and fails,
// naming the run, when one figure is moved by 2 points or a run has no
// result; a figure marked unreproduced does not fail it.
func TestCheck(t *testing.T) {
	good := map[string][3]float64{
		"m30.1":   {46, 39.50, 1.70},  // test within 1, train cost within 0.05
		"m1cross": {40, 27.00, 1.0},   // within 2.5
		"m1svm":   {47.5, 31.00, 1.0}, // train accuracy off, but marked unreproduced
	}
	p := mustParse(t, expectSweep)
	out := t.TempDir()
	fakeResults(t, out, p, good)
	st, err := StatusDir(out)
	if err != nil {
		t.Fatal(err)
	}
	chk := CheckStatus(st)
	var buf bytes.Buffer
	if err := chk.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := chk.Err(); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "✓ "+p.Runs[0].ID+"  m3: lambda=0.1  2 of 2 figures reproduced") ||
		!strings.Contains(lines[2], "1 of 2 figures reproduced; marked unreproduced: train_accuracy") ||
		lines[3] != "sweep t: 3 runs, 5 figures: 4 reproduced, 0 missed, 1 marked unreproduced; 0 runs without a result" {
		t.Errorf("check:\n%s", buf.String())
	}

	// The published test accuracy of m3 moved by 2 points.
	moved := *p
	moved.Runs = append([]Run(nil), p.Runs...)
	moved.Runs[0].Expect = append([]expect.Figure(nil), p.Runs[0].Expect...)
	moved.Runs[0].Expect[0].Value += 2
	chk = CheckStatus(StatusPlan(out, &moved))
	buf.Reset()
	_ = chk.Write(&buf)
	err = chk.Err()
	if err == nil || err.Error() != "sweep t: 1 runs miss their figures: "+p.Runs[0].ID+" (m3: lambda=0.1)" {
		t.Errorf("moved figure: %v", err)
	}
	if !strings.Contains(buf.String(), "✗ "+p.Runs[0].ID+"  m3: lambda=0.1  misses test_accuracy 41.01 ± 1: 39.50 (−1.51) ✗") {
		t.Errorf("moved figure's line:\n%s", buf.String())
	}

	// A run without a result.
	missing := *p
	missing.Runs = append(append([]Run(nil), p.Runs...), Run{Index: 3, ID: "000000000000", Name: "never", Expect: p.Runs[1].Expect})
	err = CheckStatus(StatusPlan(out, &missing)).Err()
	if err == nil || err.Error() != "sweep t: 1 runs have no result: 000000000000 (never)" {
		t.Errorf("missing run: %v", err)
	}

	// A plan without figures checks nothing: an error.
	bare := mustParse(t, "name: b\nlambda: 0\n")
	if err := CheckStatus(StatusPlan(t.TempDir(), bare)).Err(); err == nil || !strings.Contains(err.Error(), "no run states published figures") {
		t.Errorf("no figures: %v", err)
	}
}

// l2 full spelt out keeps the run's id; half is another run.
func TestL2RunIDs(t *testing.T) {
	ids := func(text string) []string {
		var out []string
		for _, r := range mustParse(t, text).Runs {
			out = append(out, r.ID)
		}
		return out
	}
	plain := ids("grid: {lambda: [0, 0.3]}\n")
	full := ids("l2: full\ngrid: {lambda: [0, 0.3]}\n")
	half := ids("l2: half\ngrid: {lambda: [0, 0.3]}\n")
	if strings.Join(plain, ",") != strings.Join(full, ",") {
		t.Errorf("l2 full: ids %v, without l2 %v", full, plain)
	}
	if half[1] == plain[1] {
		t.Errorf("l2 half: the id of full, %s", half[1])
	}
	if _, err := parse(t, "l2: third\n"); err == nil || !strings.Contains(err.Error(), `l2 "third": want full`) {
		t.Errorf("l2 third: %v", err)
	}
}
