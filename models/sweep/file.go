// Package sweep runs many trainings from one file: a base configuration, a
// grid (cartesian product of value lists), explicit runs and repeats with
// distinct seeds. It expands a sweep file into runs with stable ids (a
// short hash of each resolved configuration), runs them with a bounded
// number of workers per device, skips runs already done (resumable), reads
// each dataset once per process, reports the state of a sweep directory,
// and writes Slurm job-array scripts whose tasks run one run each.
//
// A sweep file is YAML. Its keys are those of a config file (config.Config
// by the JSON names of config.json) and five more:
//
//	name: dd2424-a1           # optional; default the file's base name
//	epochs: 40                # any config key: the base of every run
//	batch: 100
//	grid:                     # optional: every combination of these values
//	  loss: [cross, svm]      #   (a dotted key reaches into data: data.val_holdout)
//	runs:                     # optional: explicit runs, each a set of overrides
//	  - {name: "λ=0 η=0.1", lambda: 0, eta: 0.1}
//	  - lambda: 0.1
//	    grid: {eta: [0.01, 0.001]}   # a run may have a grid of its own
//	repeats: 3                # optional: each run 3 times, seeds seed, seed+1, seed+2
//	expect: {test_accuracy: 39.01, within: 1}   # optional, also in a runs entry:
//	                          #   published figures (package expect), not in the id
//
// The runs are, in this order: for each entry of runs (one empty entry
// without runs), each combination of the top-level grid, each combination
// of the entry's grid (the last key varying fastest), each repeat. A run's
// configuration is the base, then the grid's values, then the entry's
// overrides and grid, then the repeat's seed offset; one key may not be
// set by two of these. Two runs that resolve to the same configuration are
// an error, as are unknown keys, empty grids and values of the wrong type,
// each naming the file, line and key. The runs are counted before they are
// expanded: a file of more than Options.MaxRuns (DefaultMaxRuns) is refused
// with its count.
package sweep

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/expect"
	"github.com/gtrain/gtrain/models/yamlstrict"
)

// Reserved keys of a sweep file (top level) and of a runs entry.
var (
	topKeys   = []string{"name", "grid", "runs", "repeats", "expect"}
	entryKeys = []string{"name", "grid", "expect"}
)

// Run is one expanded run of a sweep.
type Run struct {
	Index  int           `json:"index"` // position in the plan, the Slurm array index
	ID     string        `json:"id"`    // RunID of Config: the name of its run directory
	Name   string        `json:"name,omitempty"`
	Params []Param       `json:"params,omitempty"` // the keys the grid, the entry and the repeat set
	Repeat int           `json:"repeat,omitempty"` // 0-based
	Origin string        `json:"origin,omitempty"` // where in the file it comes from
	Config config.Config `json:"config"`
	// Expect are the published figures the run should reproduce: not
	// part of its configuration, so not of its id.
	Expect []expect.Figure `json:"expect,omitempty"`
}

// Param is one key a run sets over the base, with its value as written.
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Label returns the run's name and parameters in one line:
// "table: loss=svm lambda=0.1 eta=0.001".
func (r *Run) Label() string {
	var parts []string
	for _, p := range r.Params {
		parts = append(parts, p.Key+"="+p.Value)
	}
	s := strings.Join(parts, " ")
	switch {
	case r.Name == "":
		return s
	case s == "":
		return r.Name
	}
	return r.Name + ": " + s
}

// Plan is an expanded sweep.
type Plan struct {
	Name string `json:"name"`
	File string `json:"file,omitempty"` // absolute path of the sweep file
	Runs []Run  `json:"runs"`
}

// ByID returns the run of the given id.
func (p *Plan) ByID(id string) (*Run, bool) {
	for i := range p.Runs {
		if p.Runs[i].ID == id {
			return &p.Runs[i], true
		}
	}
	return nil, false
}

// RunID is the stable id of a run: the short hash of its configuration
// with the device reduced to its kind ("cuda:1" → "cuda"), so that the
// GPU a run lands on does not change its identity.
func RunID(cfg config.Config) string {
	cfg.Device = DeviceKind(cfg.Device)
	return cfg.Hash()
}

// DeviceKind returns "cuda" for "cuda:1" and "cpu" for "cpu".
func DeviceKind(device string) string {
	kind, _, _ := strings.Cut(device, ":")
	return kind
}

// Options adjust the expansion.
type Options struct {
	// Base is the configuration the file is applied over (usually
	// config.DefaultConfig with data.dir from the environment).
	Base config.Config
	// Override, when set, is applied to every run after the file: the
	// command line's flags, which take precedence over the file.
	Override func(*config.Config)
	// NoValidate skips config.Config.Validate of each run.
	NoValidate bool
	// MaxRuns is the most runs the plan may have (counted before any is
	// expanded); ≤ 0 means DefaultMaxRuns.
	MaxRuns int
	// Counted, when set, is called with the number of runs once the file
	// is parsed and before the runs are expanded (the command line says
	// so for plans that take a while).
	Counted func(runs int)
}

// DefaultMaxRuns is the most runs a plan may have unless Options.MaxRuns
// says otherwise: a few lines of grid multiply into millions of runs, and a
// plan is expanded in memory, so a larger one must be asked for.
const DefaultMaxRuns = 10000

// TooManyRunsError refuses a sweep file whose plan has more runs than the
// limit; it is returned before any run is expanded.
type TooManyRunsError struct {
	File  string
	Runs  int // math.MaxInt: at least that many (the count saturates)
	Limit int
}

func (e *TooManyRunsError) Error() string {
	n := strconv.Itoa(e.Runs)
	if e.Runs == math.MaxInt {
		n = "at least " + n
	}
	return fmt.Sprintf("%s: the sweep has %s runs, more than the limit of %d", e.File, n, e.Limit)
}

// Load reads and expands the sweep file at path.
func Load(path string, opt Options) (*Plan, error) {
	return LoadContext(context.Background(), path, opt)
}

// LoadContext is Load that stops, returning context.Cause(ctx), when ctx
// is done while the runs are expanded.
func LoadContext(ctx context.Context, path string, opt Options) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	s, err := parseSpec(b, path, opt)
	if err != nil {
		return nil, err
	}
	// A relative data.dir is relative to the sweep file.
	s.dir = filepath.Dir(abs)
	if s.name == "" {
		s.name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	p, err := s.expand(ctx)
	if err != nil {
		return nil, err
	}
	p.File = abs
	return p, nil
}

// Parse expands a sweep file's text; name is the file name in errors.
func Parse(text []byte, name string, opt Options) (*Plan, error) {
	s, err := parseSpec(text, name, opt)
	if err != nil {
		return nil, err
	}
	return s.expand(context.Background())
}

// spec is a parsed sweep file: what its runs are made of, not yet the runs.
type spec struct {
	f       *file
	name    string
	base    config.Config
	grid    []axis
	entries []entry
	repeats int
	expect  []expect.Item // the top level's: for every run whose grid row they pick
	opt     Options
	dir     string // relative data.dir is relative to it; "" leaves it
	runs    int    // the number of runs, saturated at math.MaxInt
}

func parseSpec(text []byte, name string, opt Options) (*spec, error) {
	root, err := yamlstrict.Parse(bytes.NewReader(text), name)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &config.ConfigFileError{File: name, Msg: "empty sweep file"}
	}
	f := &file{name: name}
	if root.Kind != yaml.MappingNode {
		return nil, f.errf(root, "", "want a mapping of settings, grid, runs and repeats, got %s", yamlstrict.Describe(root))
	}
	s := &spec{f: f, repeats: 1, opt: opt}
	var gridNode, runsNode, expectNode *yaml.Node
	base := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: root.Line}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "name":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				return nil, f.errf(v, "name", "want a name, got %s", yamlstrict.Describe(v))
			}
			s.name = v.Value
		case "grid":
			gridNode = v
		case "runs":
			runsNode = v
		case "expect":
			expectNode = v
		case "repeats":
			n, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil || n < 1 {
				return nil, f.errf(v, "repeats", "want an integer ≥ 1, got %s", yamlstrict.Describe(v))
			}
			s.repeats = n
		default:
			base.Content = append(base.Content, k, v)
		}
	}
	s.base = opt.Base
	if err := config.ApplyYAML(base, name, &s.base); err != nil {
		return nil, err
	}
	if s.grid, err = f.parseGrid(gridNode, "grid", s.base); err != nil {
		return nil, err
	}
	if expectNode != nil {
		if s.expect, err = f.parseExpect(expectNode, "expect", s.grid); err != nil {
			return nil, err
		}
	}
	s.entries = []entry{{origin: "base"}}
	if runsNode != nil {
		if s.entries, err = f.parseRuns(runsNode, s.base, s.grid); err != nil {
			return nil, err
		}
	}
	s.runs = s.count()
	limit := opt.MaxRuns
	if limit <= 0 {
		limit = DefaultMaxRuns
	}
	if s.runs > limit {
		return nil, &TooManyRunsError{File: name, Runs: s.runs, Limit: limit}
	}
	if opt.Counted != nil {
		opt.Counted(s.runs)
	}
	return s, nil
}
