// Package sweep runs many trainings from one file: a base configuration, a
// grid (cartesian product of value lists), explicit runs and repeats with
// distinct seeds. It expands a sweep file into runs with stable ids (a
// short hash of each resolved configuration), runs them with a bounded
// number of workers per device, skips runs already done (resumable), reads
// each dataset once per process, reports the state of a sweep directory,
// and writes Slurm job-array scripts whose tasks run one run each.
//
// A sweep file is YAML. Its keys are those of a config file (models.Config
// by the JSON names of config.json) and four more:
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
//
// The runs are, in this order: for each entry of runs (one empty entry
// without runs), each combination of the top-level grid, each combination
// of the entry's grid (the last key varying fastest), each repeat. A run's
// configuration is the base, then the grid's values, then the entry's
// overrides and grid, then the repeat's seed offset; one key may not be
// set by two of these. Two runs that resolve to the same configuration are
// an error, as are unknown keys, empty grids and values of the wrong type,
// each naming the file, line and key.
package sweep

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gtrain/gtrain/models"
)

// Reserved keys of a sweep file (top level) and of a runs entry.
var (
	topKeys   = []string{"name", "grid", "runs", "repeats"}
	entryKeys = []string{"name", "grid"}
)

// Run is one expanded run of a sweep.
type Run struct {
	Index  int           `json:"index"` // position in the plan, the Slurm array index
	ID     string        `json:"id"`    // RunID of Config: the name of its run directory
	Name   string        `json:"name,omitempty"`
	Params []Param       `json:"params,omitempty"` // the keys the grid, the entry and the repeat set
	Repeat int           `json:"repeat,omitempty"` // 0-based
	Origin string        `json:"origin,omitempty"` // where in the file it comes from
	Config models.Config `json:"config"`
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
func RunID(cfg models.Config) string {
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
	// models.DefaultConfig with data.dir from the environment).
	Base models.Config
	// Override, when set, is applied to every run after the file: the
	// command line's flags, which take precedence over the file.
	Override func(*models.Config)
	// NoValidate skips models.Config.Validate of each run.
	NoValidate bool
}

// Load reads and expands the sweep file at path.
func Load(path string, opt Options) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	p, err := Parse(b, path, opt)
	if err != nil {
		return nil, err
	}
	p.File = abs
	if p.Name == "" {
		p.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	// A relative data.dir is relative to the sweep file.
	for i := range p.Runs {
		c := &p.Runs[i].Config
		if c.Data.Dir != "" && !filepath.IsAbs(c.Data.Dir) {
			c.Data.Dir = filepath.Join(filepath.Dir(abs), c.Data.Dir)
			p.Runs[i].ID = RunID(*c)
		}
	}
	return p, checkDuplicates(p.Runs)
}

// Parse expands a sweep file's text; name is the file name in errors.
func Parse(text []byte, name string, opt Options) (*Plan, error) {
	root, err := models.ParseYAML(bytes.NewReader(text), name)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &models.ConfigFileError{File: name, Msg: "empty sweep file"}
	}
	f := &file{name: name}
	if root.Kind != yaml.MappingNode {
		return nil, f.errf(root, "", "want a mapping of settings, grid, runs and repeats, got %s", describe(root))
	}
	plan := &Plan{}
	var gridNode, runsNode *yaml.Node
	repeats := 1
	base := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: root.Line}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "name":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				return nil, f.errf(v, "name", "want a name, got %s", describe(v))
			}
			plan.Name = v.Value
		case "grid":
			gridNode = v
		case "runs":
			runsNode = v
		case "repeats":
			n, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil || n < 1 {
				return nil, f.errf(v, "repeats", "want an integer ≥ 1, got %s", describe(v))
			}
			repeats = n
		default:
			base.Content = append(base.Content, k, v)
		}
	}
	cfg := opt.Base
	if err := models.ApplyYAML(base, name, &cfg); err != nil {
		return nil, err
	}
	grid, err := f.parseGrid(gridNode, "grid", cfg)
	if err != nil {
		return nil, err
	}
	entries := []entry{{origin: "base"}}
	if runsNode != nil {
		if entries, err = f.parseRuns(runsNode, cfg, grid); err != nil {
			return nil, err
		}
	}
	for _, e := range entries {
		combos := product(append(append([]axis(nil), grid...), e.grid...))
		for _, combo := range combos {
			for r := 0; r < repeats; r++ {
				run, err := f.resolve(cfg, e, combo, r, repeats, opt)
				if err != nil {
					return nil, err
				}
				run.Index = len(plan.Runs)
				plan.Runs = append(plan.Runs, run)
			}
		}
	}
	return plan, checkDuplicates(plan.Runs)
}

type file struct{ name string }

func (f *file) errf(n *yaml.Node, key, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &models.ConfigFileError{File: f.name, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// axis is one key of a grid with its values.
type axis struct {
	key    string // dotted
	keyN   *yaml.Node
	values []*yaml.Node
}

type entry struct {
	name      string
	origin    string
	overrides *yaml.Node // mapping of config keys
	grid      []axis
}

// choice is one value of one axis.
type choice struct {
	axis  *axis
	value *yaml.Node
}

func (f *file) parseGrid(n *yaml.Node, where string, base models.Config) ([]axis, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, f.errf(n, where, "want a mapping of keys to lists of values, got %s", describe(n))
	}
	if len(n.Content) == 0 {
		return nil, f.errf(n, where, "empty grid: give at least one key with a list of values, or leave grid out")
	}
	var out []axis
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := where + "." + k.Value
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			return nil, f.errf(k, where, "a grid key must be a setting's name, got %s", describe(k))
		}
		if v.Kind != yaml.SequenceNode {
			return nil, f.errf(v, key, "want a list of values, got %s (write [%s] for one value)", describe(v), v.Value)
		}
		if len(v.Content) == 0 {
			return nil, f.errf(v, key, "empty list of values: give at least one")
		}
		a := axis{key: k.Value, keyN: k, values: v.Content}
		// Every value must apply to a configuration: unknown keys and type
		// errors show here, with the value's line.
		seen := map[string]int{}
		for _, val := range a.values {
			c := base
			if err := models.ApplyYAML(nest(k, val), f.name, &c); err != nil {
				return nil, err
			}
			s := render(val)
			if line, dup := seen[s]; dup {
				return nil, f.errf(val, key, "value %s listed twice (lines %d and %d)", s, line, val.Line)
			}
			seen[s] = val.Line
		}
		out = append(out, a)
	}
	for i := range out {
		for j := 0; j < i; j++ {
			if overlap(out[i].key, out[j].key) {
				return nil, f.errf(out[i].keyN, where+"."+out[i].key, "set twice in the grid (also %s at line %d)", out[j].key, out[j].keyN.Line)
			}
		}
	}
	return out, nil
}

func (f *file) parseRuns(n *yaml.Node, base models.Config, grid []axis) ([]entry, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, f.errf(n, "runs", "want a list of runs (each a mapping of settings), got %s", describe(n))
	}
	if len(n.Content) == 0 {
		return nil, f.errf(n, "runs", "empty list: give at least one run, or leave runs out")
	}
	var out []entry
	for i, rn := range n.Content {
		where := fmt.Sprintf("runs[%d]", i)
		if rn.Kind != yaml.MappingNode {
			return nil, f.errf(rn, where, "want a mapping of settings, got %s", describe(rn))
		}
		e := entry{origin: fmt.Sprintf("%s (line %d)", where, rn.Line), overrides: &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: rn.Line}}
		var gridNode *yaml.Node
		for j := 0; j+1 < len(rn.Content); j += 2 {
			k, v := rn.Content[j], rn.Content[j+1]
			switch k.Value {
			case "name":
				if v.Kind != yaml.ScalarNode || v.Value == "" {
					return nil, f.errf(v, where+".name", "want a name, got %s", describe(v))
				}
				e.name = v.Value
			case "grid":
				gridNode = v
			case "runs", "repeats":
				return nil, f.errf(k, where+"."+k.Value, "only allowed at the top level of the sweep file")
			default:
				e.overrides.Content = append(e.overrides.Content, k, v)
			}
		}
		c := base
		if err := models.ApplyYAML(e.overrides, f.name, &c); err != nil {
			return nil, err
		}
		g, err := f.parseGrid(gridNode, where+".grid", base)
		if err != nil {
			return nil, err
		}
		e.grid = g
		// One key, one source.
		set := leafKeys(e.overrides, "")
		for _, a := range grid {
			for _, k := range set {
				if overlap(a.key, k.key) {
					return nil, f.errf(k.node, where+"."+k.key, "also set by the top-level grid (%s, line %d): a key has one source", a.key, a.keyN.Line)
				}
			}
		}
		for _, a := range g {
			for _, b := range grid {
				if overlap(a.key, b.key) {
					return nil, f.errf(a.keyN, where+".grid."+a.key, "also set by the top-level grid (%s, line %d)", b.key, b.keyN.Line)
				}
			}
			for _, k := range set {
				if overlap(a.key, k.key) {
					return nil, f.errf(k.node, where+"."+k.key, "also set by the run's grid (line %d)", a.keyN.Line)
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// resolve builds one run: base, grid values, the entry's overrides, the
// entry's grid values, the repeat's seed, the command line's overrides.
func (f *file) resolve(base models.Config, e entry, combo []choice, repeat, repeats int, opt Options) (Run, error) {
	cfg := base
	run := Run{Name: e.name, Repeat: repeat}
	var origin []string
	if e.origin != "base" {
		origin = append(origin, e.origin)
	}
	nEntryGrid := len(e.grid)
	topGrid := combo[:len(combo)-nEntryGrid]
	entryGrid := combo[len(combo)-nEntryGrid:]
	apply := func(cs []choice) error {
		for _, c := range cs {
			if err := models.ApplyYAML(nest(c.axis.keyN, c.value), f.name, &cfg); err != nil {
				return err
			}
			run.Params = append(run.Params, Param{Key: c.axis.key, Value: render(c.value)})
			origin = append(origin, fmt.Sprintf("%s=%s (line %d)", c.axis.key, render(c.value), c.value.Line))
		}
		return nil
	}
	if err := apply(topGrid); err != nil {
		return run, err
	}
	if e.overrides != nil {
		if err := models.ApplyYAML(e.overrides, f.name, &cfg); err != nil {
			return run, err
		}
		for _, k := range leafKeys(e.overrides, "") {
			run.Params = append(run.Params, Param{Key: k.key, Value: render(k.node)})
		}
	}
	if err := apply(entryGrid); err != nil {
		return run, err
	}
	if repeats > 1 {
		cfg.Seed += uint64(repeat)
		run.Params = append(run.Params, Param{Key: "seed", Value: strconv.FormatUint(cfg.Seed, 10)})
		origin = append(origin, fmt.Sprintf("repeat %d", repeat+1))
	}
	if opt.Override != nil {
		opt.Override(&cfg)
	}
	run.Origin = strings.Join(origin, ", ")
	if run.Origin == "" {
		run.Origin = "the base"
	}
	if !opt.NoValidate {
		if err := cfg.Validate(); err != nil {
			return run, &models.ConfigFileError{File: f.name, Line: firstLine(e, combo), Msg: fmt.Sprintf("run %s: %v", run.Origin, err)}
		}
	}
	run.Config = cfg
	run.ID = RunID(cfg)
	return run, nil
}

func firstLine(e entry, combo []choice) int {
	if e.overrides != nil {
		return e.overrides.Line
	}
	if len(combo) > 0 {
		return combo[0].value.Line
	}
	return 0
}

func checkDuplicates(runs []Run) error {
	seen := map[string]*Run{}
	for i := range runs {
		r := &runs[i]
		if first, dup := seen[r.ID]; dup {
			return fmt.Errorf("duplicate runs: %s and %s resolve to the same configuration (id %s); every run must differ (repeats change the seed)", first.Origin, r.Origin, r.ID)
		}
		seen[r.ID] = r
	}
	return nil
}

// product returns every combination of the axes' values, the last axis
// varying fastest; one empty combination for no axes.
func product(axes []axis) [][]choice {
	out := [][]choice{nil}
	for i := range axes {
		a := &axes[i]
		var next [][]choice
		for _, prefix := range out {
			for _, v := range a.values {
				c := append(append([]choice(nil), prefix...), choice{axis: a, value: v})
				next = append(next, c)
			}
		}
		out = next
	}
	return out
}

// nest turns the dotted key "data.val_holdout" and a value into the
// mapping {data: {val_holdout: value}}, with the key's line.
func nest(k *yaml.Node, v *yaml.Node) *yaml.Node {
	parts := strings.Split(k.Value, ".")
	n := v
	for i := len(parts) - 1; i >= 0; i-- {
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: parts[i], Line: k.Line, Column: k.Column}
		n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{key, n}, Line: k.Line, Column: k.Column}
	}
	return n
}

type leaf struct {
	key  string
	node *yaml.Node
}

// leafKeys lists the dotted keys a mapping sets: {data: {dir: x}} sets
// data.dir.
func leafKeys(n *yaml.Node, prefix string) []leaf {
	var out []leaf
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := prefix + k.Value
		if v.Kind == yaml.MappingNode {
			out = append(out, leafKeys(v, key+".")...)
			continue
		}
		out = append(out, leaf{key: key, node: v})
	}
	return out
}

// overlap reports whether two dotted keys set the same setting: equal, or
// one inside the other ("data" and "data.dir").
func overlap(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+".") || strings.HasPrefix(b, a+".")
}

// render writes a value as it reads in a flow-style YAML: 0.1, svm, [a, b].
func render(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value
	case yaml.AliasNode:
		return render(n.Alias)
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, c := range n.Content {
			parts[i] = render(c)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case yaml.MappingNode:
		var parts []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			parts = append(parts, render(n.Content[i])+":"+render(n.Content[i+1]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return "?"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "no value"
		}
		return strconv.Quote(n.Value)
	}
	return "a YAML node"
}

// reservedCollisions lists the reserved sweep keys that are also config
// keys (none; a test keeps it so as Config grows).
func reservedCollisions() []string {
	var out []string
	keys := map[string]bool{}
	for _, k := range models.ConfigKeys() {
		top, _, _ := strings.Cut(k, ".")
		keys[top] = true
	}
	for _, k := range append(append([]string(nil), topKeys...), entryKeys...) {
		if keys[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
