package sweep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/config"
)

func parse(t *testing.T, text string) (*Plan, error) {
	t.Helper()
	return Parse([]byte(text), "s.yaml", Options{Base: config.DefaultConfig()})
}

func mustParse(t *testing.T, text string) *Plan {
	t.Helper()
	p, err := parse(t, text)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func labels(p *Plan) []string {
	var out []string
	for _, r := range p.Runs {
		out = append(out, r.Label())
	}
	return out
}

func TestExpandGridRunsRepeats(t *testing.T) {
	p := mustParse(t, `
name: demo
epochs: 3
batch: 20
grid:
  loss: [cross, svm]
runs:
  - {name: a, lambda: 0, eta: 0.1}
  - name: b
    lambda: 1
    grid: {eta: [0.01, 0.001]}
repeats: 2
`)
	want := []string{
		"a: loss=cross lambda=0 eta=0.1 seed=0", "a: loss=cross lambda=0 eta=0.1 seed=1",
		"a: loss=svm lambda=0 eta=0.1 seed=0", "a: loss=svm lambda=0 eta=0.1 seed=1",
		"b: loss=cross lambda=1 eta=0.01 seed=0", "b: loss=cross lambda=1 eta=0.01 seed=1",
		"b: loss=cross lambda=1 eta=0.001 seed=0", "b: loss=cross lambda=1 eta=0.001 seed=1",
		"b: loss=svm lambda=1 eta=0.01 seed=0", "b: loss=svm lambda=1 eta=0.01 seed=1",
		"b: loss=svm lambda=1 eta=0.001 seed=0", "b: loss=svm lambda=1 eta=0.001 seed=1",
	}
	if got := labels(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("runs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Name != "demo" {
		t.Errorf("name %q", p.Name)
	}
	r := p.Runs[9] // b: svm, eta 0.01, seed 1
	c := r.Config
	if c.Loss != "svm" || c.Lambda != 1 || c.Eta != 0.01 || c.Seed != 1 || c.Epochs != 3 || c.Batch != 20 || c.Decay != 1 {
		t.Fatalf("run 9: %+v", c)
	}
	if r.Index != 9 || r.ID != c.Hash() || r.Repeat != 1 {
		t.Fatalf("run 9: index %d id %s (hash %s) repeat %d", r.Index, r.ID, c.Hash(), r.Repeat)
	}
	if !strings.Contains(r.Origin, "runs[1] (line 9)") || !strings.Contains(r.Origin, "eta=0.01 (line 11)") {
		t.Errorf("origin %q", r.Origin)
	}
}

func TestExpandDefaults(t *testing.T) {
	// No grid, no runs: the base is the one run. A dotted grid key reaches
	// into data; a list value replaces the list.
	p := mustParse(t, "epochs: 2\n")
	if len(p.Runs) != 1 || p.Runs[0].Config.Epochs != 2 || len(p.Runs[0].Params) != 0 {
		t.Fatalf("%+v", p.Runs)
	}
	p = mustParse(t, `
grid:
  data.train: [[data_batch_1], [data_batch_1, data_batch_3]]
  data.val_holdout: [100]
data: {val: []}
`)
	if len(p.Runs) != 2 || strings.Join(p.Runs[1].Config.Data.Train, ",") != "data_batch_1,data_batch_3" || p.Runs[1].Config.Data.ValHoldout != 100 {
		t.Fatalf("%+v", p.Runs)
	}
	if got := p.Runs[1].Label(); got != "data.train=[data_batch_1,data_batch_3] data.val_holdout=100" {
		t.Errorf("label %q", got)
	}
}

// The id is a hash of the resolved configuration: stable across
// expansions, the same for the same configuration reached another way, and
// blind to the GPU's index.
func TestStableIDs(t *testing.T) {
	a := mustParse(t, "grid: {eta: [0.1, 0.01]}\n")
	b := mustParse(t, "# reordered\nruns: [{eta: 0.01}, {eta: 0.1}]\n")
	if a.Runs[0].ID != b.Runs[1].ID || a.Runs[1].ID != b.Runs[0].ID {
		t.Fatalf("ids differ: %s %s / %s %s", a.Runs[0].ID, a.Runs[1].ID, b.Runs[1].ID, b.Runs[0].ID)
	}
	if a.Runs[0].ID == a.Runs[1].ID || len(a.Runs[0].ID) != 12 {
		t.Fatalf("ids %s %s", a.Runs[0].ID, a.Runs[1].ID)
	}
	// Pinned as literals: the ids name run directories on disk and must not
	// drift (comparing with DefaultConfig().Hash() would hold whatever
	// bytes Hash took).
	if got := mustParse(t, "{}\n").Runs[0].ID; got != "969a977c9642" {
		t.Fatalf("default id %s, pinned 969a977c9642", got)
	}
	if got := a.Runs[1].ID; got != "737cc8ee7b9d" {
		t.Fatalf("id of eta 0.01 %s, pinned 737cc8ee7b9d", got)
	}
	c := config.DefaultConfig()
	c.Device = "cuda:0"
	d := c
	d.Device = "cuda:1"
	if RunID(c) != RunID(d) || RunID(c) == RunID(config.DefaultConfig()) {
		t.Fatal("RunID must ignore the GPU index and keep the device kind")
	}
	if got := RunID(d); got != "7b6f3d064ada" {
		t.Fatalf("id on cuda:1 %s, pinned 7b6f3d064ada", got)
	}
}

func TestOverrideAndDataDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	os.WriteFile(path, []byte("data: {dir: cifar}\ngrid: {eta: [0.1, 0.2]}\n"), 0o644)
	p, err := Load(path, Options{Base: config.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "s" || p.File != path || p.Runs[0].Config.Data.Dir != filepath.Join(dir, "cifar") {
		t.Fatalf("%s %s %s", p.Name, p.File, p.Runs[0].Config.Data.Dir)
	}
	if p.Runs[0].ID != RunID(p.Runs[0].Config) {
		t.Fatal("id not recomputed after resolving data.dir")
	}
	p, err = Load(path, Options{Base: config.DefaultConfig(), Override: func(c *config.Config) { c.Data.Dir = "/elsewhere"; c.Epochs = 1 }})
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Runs[1].Config; c.Data.Dir != "/elsewhere" || c.Epochs != 1 || c.Eta != 0.2 {
		t.Fatalf("override: %+v", c)
	}
}

func TestBadSweepFiles(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"unknown key", "epochs: 2\nlamda: 0.1\n", `s.yaml:2: lamda: unknown key (did you mean "lambda"?)`},
		{"unknown nested key", "data:\n  hold: 3\n", `s.yaml:2: data.hold: unknown key`},
		{"unknown grid key", "grid:\n  etaa: [1]\n", `s.yaml:2: etaa: unknown key (did you mean "eta"?)`},
		{"unknown run key", "runs:\n  - eta: 0.1\n    bach: 3\n", `s.yaml:3: bach: unknown key (did you mean "batch"?)`},
		{"empty grid", "grid: {}\n", `s.yaml:1: grid: empty grid`},
		{"empty values", "grid:\n  eta: []\n", `s.yaml:2: grid.eta: empty list of values`},
		{"scalar values", "grid:\n  eta: 0.1\n", `s.yaml:2: grid.eta: want a list of values, got "0.1" (write [0.1] for one value)`},
		{"empty runs", "runs: []\n", `s.yaml:1: runs: empty list`},
		{"run not a mapping", "runs:\n  - 3\n", `s.yaml:2: runs[0]: want a mapping of settings`},
		{"type error", "epochs: many\n", `s.yaml:1: epochs: want an integer, got the string "many"`},
		{"type error in grid", "grid:\n  batch: [10, ten]\n", `s.yaml:2: batch: want an integer, got the string "ten"`},
		{"type error in run", "runs:\n  - {shuffle: maybe}\n", `s.yaml:2: shuffle: want true or false, got the string "maybe"`},
		{"bad repeats", "repeats: 0\n", `s.yaml:1: repeats: want an integer ≥ 1, got "0"`},
		{"duplicate key", "eta: 0.1\neta: 0.2\n", `s.yaml:2: eta: mapping key "eta" already defined at line 1`},
		{"duplicate grid value", "grid:\n  eta: [0.1, 0.2, 0.1]\n", `s.yaml:2: grid.eta: value 0.1 listed twice (lines 2 and 2)`},
		{"duplicate runs", "runs:\n  - eta: 0.1\n  - eta: 0.2\n  - eta: 0.1\n", `duplicate runs: runs[0] (line 2) and runs[2] (line 4) resolve to the same configuration`},
		{"run repeats base", "eta: 0.1\nruns:\n  - {}\n  - {eta: 0.1}\n", `duplicate runs: runs[0] (line 3) and runs[1] (line 4)`},
		{"grid and run overlap", "grid: {eta: [0.1]}\nruns:\n  - {eta: 0.2}\n", `s.yaml:3: runs[0].eta: also set by the top-level grid (eta, line 1)`},
		{"grid keys overlap", "grid:\n  data: [{dir: a}]\n  data.dir: [b]\n", `s.yaml:3: grid.data.dir: set twice in the grid (also data at line 2)`},
		{"invalid value", "grid:\n  eta: [0.1, -1]\n", `run eta=-1 (line 2): eta -1: must be a finite number > 0`},
		{"runs at run level", "runs:\n  - {repeats: 2}\n", `s.yaml:2: runs[0].repeats: only allowed at the top level`},
		{"not a mapping", "- eta: 1\n", `s.yaml:1: want a mapping of settings, grid, runs and repeats, got a list`},
		{"empty file", "", `s.yaml: empty sweep file`},
		{"syntax", "grid: {eta: [0.1}\n", `s.yaml: did not find expected`},
	} {
		_, err := parse(t, tc.text)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.name, err, tc.want)
		}
	}
}

func TestReservedKeysAreNotConfigKeys(t *testing.T) {
	if c := reservedCollisions(); len(c) > 0 {
		t.Fatalf("config keys %v are reserved by sweep files (grid, runs, repeats, name): rename them", c)
	}
}

// The example sweep of the whole report expands and every run is valid.
func TestExampleSweep(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "dd2424-a1.yaml")
	p, err := Load(path, Options{Base: config.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	byLabel := map[string]config.Config{}
	for _, r := range p.Runs {
		byLabel[r.Label()] = r.Config
	}
	if len(p.Runs) < 14 {
		t.Fatalf("%d runs: %v", len(p.Runs), labels(p))
	}
	tables := 0
	for _, r := range p.Runs {
		c := r.Config
		if c.Epochs == 40 && c.Batch == 100 && !c.Shuffle && c.Decay == 1 && len(c.Augment) == 0 {
			tables++
		}
	}
	if tables != 8 {
		t.Errorf("%d runs of the two tables, want 8: %v", tables, labels(p))
	}
	t.Logf("%d runs:\n%s", len(p.Runs), strings.Join(labels(p), "\n"))
}
