package expect

import (
	"math"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/runfiles"
	"gopkg.in/yaml.v3"
)

func node(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestParseForms(t *testing.T) {
	items, err := Parse(node(t, `
within: {accuracy: 1, cost: 0.05}
test_accuracy: 39.01
train_cost: 1.69
val_cost: {value: 1.86, within: 0.1}
val_accuracy: {at_least: 38}
test_cost: {at_most: 2}
train_accuracy: {value: 43.66, unreproduced: "noise reading unknown"}
`), "s.yaml", "expect")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || len(items[0].When) != 0 {
		t.Fatalf("items %+v", items)
	}
	want := []Figure{
		{Key: "test_accuracy", Value: 39.01, Tol: 1, Line: 3},
		{Key: "train_cost", Value: 1.69, Tol: 0.05, Line: 4},
		{Key: "val_cost", Value: 1.86, Tol: 0.1, Line: 5},
		{Key: "val_accuracy", Value: 38, Bound: AtLeast, Line: 6},
		{Key: "test_cost", Value: 2, Bound: AtMost, Line: 7},
		{Key: "train_accuracy", Value: 43.66, Tol: 1, Unreproduced: "noise reading unknown", Line: 8},
	}
	got := items[0].Figures
	if len(got) != len(want) {
		t.Fatalf("figures %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("figure %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseList(t *testing.T) {
	items, err := Parse(node(t, `
- {when: {loss: cross}, test_accuracy: 28.70, within: 2.5}
- {when: {loss: svm, eta: 0.1}, test_accuracy: 30.04, within: 2.5}
`), "s.yaml", "runs[1].expect")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || len(items[1].When) != 2 || items[1].When[1] != (Cond{Key: "eta", Value: "0.1", Line: 3}) {
		t.Fatalf("items %+v", items)
	}
}

// Every malformed expect: is one error naming the file, the line and the
// key.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{`{test_acuracy: 39, within: 1}`, `s.yaml:1: expect.test_acuracy: unknown key: want when, within or a figure (train_accuracy, val_accuracy, test_accuracy, train_cost, val_cost, test_cost)`},
		{`{test_accuracy: 39}`, `s.yaml:1: expect.test_accuracy: no tolerance`},
		{`{within: 1}`, `s.yaml:1: expect: no figure`},
		{`{test_accuracy: "39", within: 1}`, `s.yaml:1: expect.test_accuracy: want a number, got the string 39`},
		{`{test_accuracy: 139, within: 1}`, `expect.test_accuracy: 139: an accuracy is in %, at most 100`},
		{`{test_cost: -1, within: 1}`, `expect.test_cost: -1: must be ≥ 0`},
		{`{test_accuracy: {value: 39, at_least: 38}}`, `give exactly one of value, at_least and at_most (got 2)`},
		{`{test_accuracy: {at_least: 38, within: 1}}`, `within goes with value, not with at_least`},
		{`{test_accuracy: {value: 38, within: 1, reason: x}}`, `expect.test_accuracy.reason: unknown key`},
		{`{test_accuracy: {value: 38, within: 1, unreproduced: ""}}`, `expect.test_accuracy.unreproduced: want the reason`},
		{`{within: {acc: 1}, test_accuracy: 3}`, `expect.within.acc: unknown key: want accuracy (percentage points) or cost`},
		{`{within: {cost: 0.05}, test_accuracy: 3}`, `expect.test_accuracy: no tolerance`},
		{`{when: svm, test_accuracy: 3, within: 1}`, `expect.when: want a mapping of grid keys`},
		{"\n- 3", `s.yaml:2: expect[0]: want a mapping of figures, got "3"`},
		{`[]`, `expect: empty list`},
		{`39.01`, `expect: want a mapping of figures`},
	} {
		_, err := Parse(node(t, c.text), "s.yaml", "expect")
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", c.text, err, c.want)
		}
	}
}

func result(trainAcc, trainCost, testAcc float64) *runfiles.Result {
	return &runfiles.Result{Splits: map[string]runfiles.SplitResult{
		"train": {AccuracyTrained: trainAcc, CostTrained: trainCost},
		"test":  {AccuracyTrained: testAcc, CostTrained: 1.8},
	}}
}

// The check at its edges: a tolerance is inclusive at the published
// figure's precision, bounds by their side, and a figure the result
// lacks misses.
func TestCheck(t *testing.T) {
	res := result(0.4337, 4.13, 0.3901)
	for _, c := range []struct {
		fig  Figure
		pass bool
		diff float64 // NaN: not measured
	}{
		{Figure{Key: "test_accuracy", Value: 39.01, Tol: 1}, true, 0},
		{Figure{Key: "test_accuracy", Value: 40.01, Tol: 1}, true, -1},   // exactly at the edge
		{Figure{Key: "test_accuracy", Value: 41.01, Tol: 1}, false, -2},  // a figure moved by 2 points
		{Figure{Key: "train_accuracy", Value: 43.37, Tol: 0}, true, 0},   // 100·0.4337 is not 43.37 in bits
		{Figure{Key: "train_cost", Value: 4.08, Tol: 0.05}, true, 0.05},  // the edge, in a cost
		{Figure{Key: "train_cost", Value: 4.07, Tol: 0.05}, false, 0.06}, // beyond it
		{Figure{Key: "test_accuracy", Value: 39, Bound: AtLeast}, true, 0.01},
		{Figure{Key: "test_accuracy", Value: 39.5, Bound: AtLeast}, false, -0.49},
		{Figure{Key: "test_cost", Value: 1.8, Bound: AtMost}, true, 0},
		{Figure{Key: "test_cost", Value: 1.7, Bound: AtMost}, false, 0.1},
		{Figure{Key: "val_accuracy", Value: 38, Tol: 1}, false, math.NaN()},
	} {
		v := c.fig.Check(res)
		if v.Pass != c.pass {
			t.Errorf("%+v: pass %v, want %v (%s)", c.fig, v.Pass, c.pass, v)
		}
		if math.IsNaN(c.diff) != math.IsNaN(v.Diff) || math.Abs(v.Diff-c.diff) > 1e-9 {
			t.Errorf("%+v: diff %v, want %v", c.fig, v.Diff, c.diff)
		}
	}
	if v := (Figure{Key: "test_accuracy", Value: 39.01, Tol: 1}).Check(nil); v.Pass || !math.IsNaN(v.Measured) {
		t.Errorf("no result: %+v", v)
	}
}

func TestVerdictText(t *testing.T) {
	res := result(0.4521, 1.6123, 0.3846)
	for _, c := range []struct {
		fig        Figure
		want, mark string
		fails      bool
	}{
		{Figure{Key: "train_accuracy", Value: 43.66, Tol: 1}, "train_accuracy 43.66 ± 1: 45.21 (+1.55) ✗", "✗", true},
		{Figure{Key: "train_accuracy", Value: 43.66, Tol: 1, Unreproduced: "why"}, "train_accuracy 43.66 ± 1: 45.21 (+1.55) ✗ unreproduced", "✗ unreproduced", false},
		{Figure{Key: "train_cost", Value: 1.67, Tol: 0.05}, "train_cost 1.67 ± 0.05: 1.6123 (−0.0577) ✗", "✗", true},
		{Figure{Key: "test_accuracy", Value: 38, Bound: AtLeast}, "test_accuracy ≥ 38.00: 38.46 (+0.46) ✓", "✓", false},
		{Figure{Key: "val_cost", Value: 1.9, Bound: AtMost}, "val_cost ≤ 1.90: not measured ✗", "✗", true},
	} {
		v := c.fig.Check(res)
		if got := v.String(); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
		if v.Mark() != c.mark || v.Fails() != c.fails {
			t.Errorf("%s: mark %q fails %v, want %q %v", c.want, v.Mark(), v.Fails(), c.mark, c.fails)
		}
	}
}

// A reason or a tolerance may be a YAML alias of an anchor stated once.
func TestParseAliases(t *testing.T) {
	items, err := Parse(node(t, `
within: &tol {accuracy: 1, cost: 0.05}
train_accuracy: {value: 43.66, unreproduced: &why "the noise"}
train_cost: {value: 1.67, unreproduced: *why}
test_cost: {value: 1.81, within: 0.1}
`), "s.yaml", "expect")
	if err != nil {
		t.Fatal(err)
	}
	f := items[0].Figures
	if f[0].Unreproduced != "the noise" || f[1].Unreproduced != "the noise" || f[1].Tol != 0.05 || f[2].Tol != 0.1 {
		t.Errorf("figures %+v", f)
	}
}
