package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/config"
)

// gridOf writes a grid of keys × n values each (numbers 1..n).
func gridOf(keys []string, n int) string {
	var b strings.Builder
	b.WriteString("grid:\n")
	for _, k := range keys {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = fmt.Sprint(i + 1)
		}
		fmt.Fprintf(&b, "  %s: [%s]\n", k, strings.Join(vals, ", "))
	}
	return b.String()
}

var numericKeys = []string{"epochs", "batch", "seed", "step_every", "cycle_steps", "early_stop", "data.val_holdout",
	"lambda", "eta", "decay", "init_std", "step_gamma", "eta_min", "eta_max"}

// A plan over the limit is refused with its count, before any run is made
// (the file of 10^7 runs used to exhaust memory), and the count is exact:
// per-entry grids and repeats included, saturated where it exceeds an int.
func TestPlanLimit(t *testing.T) {
	cases := []struct {
		name  string
		text  string
		limit int
		runs  int // math.MaxInt: saturated
	}{
		{"7 keys × 10 values", gridOf(numericKeys[:7], 10), 0, 10_000_000},
		{"repeats 10^9", "repeats: 1000000000\n", 0, 1_000_000_000},
		{"entries, their grids and repeats", gridOf([]string{"epochs"}, 2) +
			"runs:\n  - {batch: 7, grid: {eta: [0.1, 0.2, 0.3], lambda: [0, 1, 2, 3]}}\n  - {batch: 8}\n  - grid: {batch: [1, 2, 3, 4, 5]}\nrepeats: 3\n",
			107, (2*12 + 2 + 2*5) * 3},
		{"grid product overflows", gridOf(numericKeys[:7], 600), 0, math.MaxInt}, // 600^7 > 2^63
		{"repeats × grid overflows", gridOf([]string{"epochs"}, 3) + "repeats: 4000000000000000000\n", 0, math.MaxInt},
		{"sum over entries overflows", "runs: [{batch: 1}, {batch: 2}, {batch: 3}]\nrepeats: 4000000000000000000\n", 0, math.MaxInt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.text), "big.yaml", Options{Base: config.DefaultConfig(), MaxRuns: c.limit})
			var tm *TooManyRunsError
			if !errors.As(err, &tm) {
				t.Fatalf("want a TooManyRunsError, got %v", err)
			}
			limit := c.limit
			if limit == 0 {
				limit = DefaultMaxRuns
			}
			if tm.Runs != c.runs || tm.Limit != limit || !strings.HasPrefix(err.Error(), "big.yaml: the sweep has ") {
				t.Fatalf("%v (runs %d, limit %d), want %d runs", err, tm.Runs, tm.Limit, c.runs)
			}
			if c.runs == math.MaxInt && !strings.Contains(err.Error(), "at least") {
				t.Errorf("a saturated count reads as exact: %v", err)
			}
		})
	}
	// At the limit the plan is made, with as many runs as counted.
	text := cases[2].text
	var counted int
	p, err := Parse([]byte(text), "s.yaml", Options{Base: config.DefaultConfig(), MaxRuns: 108, Counted: func(n int) { counted = n }})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Runs) != 108 || counted != 108 {
		t.Fatalf("%d runs, counted %d, want 108", len(p.Runs), counted)
	}
}

// A done context stops the expansion with its cause.
func TestLoadContextCanceled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(gridOf(numericKeys[:2], 50)), 0o644); err != nil {
		t.Fatal(err)
	}
	cause := errors.New("received terminated")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	if p, err := LoadContext(ctx, path, Options{Base: config.DefaultConfig()}); !errors.Is(err, cause) || p != nil {
		t.Fatalf("got %v, want the context's cause", err)
	}
	if p, err := LoadContext(context.Background(), path, Options{Base: config.DefaultConfig()}); err != nil || len(p.Runs) != 2500 {
		t.Fatalf("%v", err)
	}
}

// slowPlan expands text decoding each value for each run, as the
// expansion did before setters.
func slowPlan(t *testing.T, text string, opt Options) *Plan {
	t.Helper()
	s, err := parseSpec([]byte(text), "s.yaml", opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.grid {
		a := &s.grid[i]
		for j := range a.values {
			a.values[j].set = setter{node: nest(a.keyN, a.values[j].node)}
		}
	}
	for i := range s.entries {
		e := &s.entries[i]
		if e.overrides != nil {
			e.set = setter{node: e.overrides}
		}
		for k := range e.grid {
			a := &e.grid[k]
			for j := range a.values {
				a.values[j].set = setter{node: nest(a.keyN, a.values[j].node)}
			}
		}
	}
	p, err := s.expand(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The setters' copies give the configurations that decoding each value
// again gives: dotted keys, mappings merged into data, lists, aliases,
// entry overrides and grids, repeats, the command line's
// overrides.
func TestSettersMatchDecoding(t *testing.T) {
	texts := []string{
		`epochs: 2
grid:
  loss: [cross, svm]
  augment: [[], ["flip:0.5"], ["flip:0.5", "translate:2"]]
runs:
  - {name: a, lambda: 0, data: {test: [data_batch_5]}, grid: {data.val_holdout: [0, 1000]}}
  - name: b
    grid: {eta: [0.01, 0.001], data: [{train: [data_batch_3]}, {train: [data_batch_1, data_batch_3], dir: /x}]}
repeats: 2
`,
		`grid:
  batch: [&n 10, 20]
runs:
  - {eta: 0.02, early_stop: 3, name: first, augment: &l ["flip:0.5"]}
  - {name: aliases, epochs: *n, grid: {augment: [*l, []]}}
  - {data: {dir: rel/dir}}
`,
	}
	for i, text := range texts {
		opt := Options{Base: config.DefaultConfig(), Override: func(c *config.Config) { c.Device = "cpu" }, NoValidate: true}
		fast, err := Parse([]byte(text), "s.yaml", opt)
		if err != nil {
			t.Fatal(err)
		}
		slow := slowPlan(t, text, opt)
		if i == 0 {
			// Here every source is a copy (else this test compares decoding
			// with decoding).
			sp, _ := parseSpec([]byte(text), "s.yaml", opt)
			for _, e := range append(sp.entries, entry{grid: sp.grid}) {
				for _, a := range e.grid {
					for _, v := range a.values {
						if v.set.node != nil {
							t.Errorf("%s=%s is decoded for each run", a.key, v.param.Value)
						}
					}
				}
				if e.set.node != nil {
					t.Errorf("%s is decoded for each run", e.origin)
				}
			}
		}
		if !reflect.DeepEqual(fast, slow) {
			for j := range fast.Runs {
				if !reflect.DeepEqual(fast.Runs[j], slow.Runs[j]) {
					t.Fatalf("file %d run %d:\n%+v\nwant\n%+v", i, j, fast.Runs[j], slow.Runs[j])
				}
			}
			t.Fatalf("file %d: plans differ", i)
		}
	}
}

// The hasher of the expansion gives RunID's ids.
func TestHasherIsRunID(t *testing.T) {
	cfgs := []config.Config{config.DefaultConfig()}
	c := config.DefaultConfig()
	c.Device, c.Data.Dir, c.Augment, c.Eta = "cuda:1", "/data/<&> λ\u2028", []string{"flip:0.5"}, 1e-21
	cfgs = append(cfgs, c)
	c.Loss, c.Seed, c.Lambda = "svm", math.MaxUint64, 0.1+0.2
	cfgs = append(cfgs, c)
	h := newHasher()
	for i := range cfgs {
		for rep := 0; rep < 2; rep++ {
			c := cfgs[i]
			if got, want := h.runID(&c), RunID(cfgs[i]); got != want || !reflect.DeepEqual(c, cfgs[i]) {
				t.Fatalf("config %d: hasher %s, RunID %s (config changed: %v)", i, got, want, !reflect.DeepEqual(c, cfgs[i]))
			}
		}
	}
}

// A plan of many runs costs little more memory than its runs hold: the
// expansion decoded YAML for every value of every run (about 30 KB and
// 2.4 KB kept per run), which made 10^6 runs need gigabytes.
func TestExpandMemory(t *testing.T) {
	text := gridOf(numericKeys[:4], 10) + "runs: [{loss: cross}, {loss: svm}, {loss: cross, dtype: float32}, {loss: svm, dtype: float32}]\n"
	opt := Options{Base: config.DefaultConfig(), MaxRuns: 40000}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := Parse([]byte(text), "s.yaml", opt)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	n := uint64(len(p.Runs))
	perRun := (after.TotalAlloc - before.TotalAlloc) / n
	// What a run keeps: the Run, its params, origin and id, and its entry
	// in the duplicate check; and the garbage of one validation and hash.
	const maxPerRun = 1500
	t.Logf("%d runs: %d bytes allocated per run", n, perRun)
	if n != 40000 || perRun > maxPerRun {
		t.Fatalf("%d runs: %d bytes allocated per run, want ≤ %d", n, perRun, maxPerRun)
	}
}
