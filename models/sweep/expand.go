package sweep

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/gtrain/gtrain/models/config"
	"gopkg.in/yaml.v3"
)

// count is the number of runs of the spec: for each entry, the product of
// the lengths of its axes (the top-level grid's and its own) times the
// repeats; math.MaxInt where that does not fit an int.
func (s *spec) count() int {
	total := 0
	for _, e := range s.entries {
		n := s.repeats
		for _, a := range s.grid {
			n = mulSat(n, len(a.values))
		}
		for _, a := range e.grid {
			n = mulSat(n, len(a.values))
		}
		total = addSat(total, n)
	}
	return total
}

func mulSat(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

func addSat(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// maxRoom bounds the runs expand makes room for before it starts.
const maxRoom = 1 << 20

// ctxEvery is how many runs are expanded between two looks at the context.
const ctxEvery = 1024

// expand makes the runs, in plan order, and refuses two of the same id.
func (s *spec) expand(ctx context.Context) (*Plan, error) {
	// Room for the runs up front, up to a bound: a limit raised far above
	// what memory holds should fail as the runs grow, not at the start.
	room := min(s.runs, maxRoom)
	plan := &Plan{Name: s.name, Runs: make([]Run, 0, room)}
	seen := make(map[string]int, room)
	h := newHasher()
	for ei := range s.entries {
		e := &s.entries[ei]
		axes := make([]*axis, 0, len(s.grid)+len(e.grid))
		for i := range s.grid {
			axes = append(axes, &s.grid[i])
		}
		for i := range e.grid {
			axes = append(axes, &e.grid[i])
		}
		// pos is an odometer over the axes, the last varying fastest.
		pos := make([]int, len(axes))
		for {
			for r := 0; r < s.repeats; r++ {
				if len(plan.Runs)%ctxEvery == 0 && ctx.Err() != nil {
					return nil, context.Cause(ctx)
				}
				// The run is made in place: a copy of each would be
				// garbage as large as the plan.
				plan.Runs = append(plan.Runs, Run{Index: len(plan.Runs)})
				run := &plan.Runs[len(plan.Runs)-1]
				if err := s.resolve(run, e, axes, pos, r, h); err != nil {
					return nil, err
				}
				if first, dup := seen[run.ID]; dup {
					return nil, fmt.Errorf("%s: duplicate runs: %s and %s resolve to the same configuration (id %s); every run must differ (repeats change the seed)",
						s.f.name, plan.Runs[first].Origin, run.Origin, run.ID)
				}
				seen[run.ID] = run.Index
			}
			i := len(pos) - 1
			for ; i >= 0; i-- {
				if pos[i]++; pos[i] < len(axes[i].values) {
					break
				}
				pos[i] = 0
			}
			if i < 0 {
				break
			}
		}
	}
	return plan, nil
}

// resolve builds one run: base, grid values, the entry's overrides, the
// entry's grid values, the repeat's seed, the command line's overrides.
func (s *spec) resolve(run *Run, e *entry, axes []*axis, pos []int, repeat int, h *hasher) error {
	run.Config = s.base
	cfg := &run.Config
	// Params and Origin are sized first: a plan of a million runs keeps
	// them all, and growing them would leave as much again as garbage.
	nParams, nOrigin := len(axes)+len(e.params), len(e.origin)+2
	for i, a := range axes {
		nOrigin += len(a.values[pos[i]].origin) + 2
	}
	if s.repeats > 1 {
		nParams++
		nOrigin += len("repeat ") + 20
	}
	run.Name, run.Repeat, run.Params = e.name, repeat, make([]Param, 0, nParams)
	var origin strings.Builder
	origin.Grow(nOrigin)
	add := func(part string) {
		if origin.Len() > 0 {
			origin.WriteString(", ")
		}
		origin.WriteString(part)
	}
	if e.origin != "base" {
		add(e.origin)
	}
	nTop := len(s.grid)
	apply := func(axes []*axis, pos []int) error {
		for i, a := range axes {
			v := &a.values[pos[i]]
			if err := v.set.apply(cfg, s.f.name); err != nil {
				return err
			}
			run.Params = append(run.Params, v.param)
			add(v.origin)
		}
		return nil
	}
	if err := apply(axes[:nTop], pos[:nTop]); err != nil {
		return err
	}
	if err := e.set.apply(cfg, s.f.name); err != nil {
		return err
	}
	run.Params = append(run.Params, e.params...)
	if err := apply(axes[nTop:], pos[nTop:]); err != nil {
		return err
	}
	if s.repeats > 1 {
		cfg.Seed += uint64(repeat)
		run.Params = append(run.Params, Param{Key: "seed", Value: strconv.FormatUint(cfg.Seed, 10)})
		add("repeat " + strconv.Itoa(repeat+1))
	}
	if s.opt.Override != nil {
		s.opt.Override(cfg)
	}
	run.Origin = origin.String()
	if run.Origin == "" {
		run.Origin = "the base"
	}
	if !s.opt.NoValidate {
		if err := cfg.Validate(); err != nil {
			return &config.ConfigFileError{File: s.f.name, Line: firstLine(e, axes, pos), Msg: fmt.Sprintf("run %s: %v", run.Origin, err)}
		}
	}
	if s.dir != "" && cfg.Data.Dir != "" && !filepath.IsAbs(cfg.Data.Dir) {
		cfg.Data.Dir = filepath.Join(s.dir, cfg.Data.Dir)
	}
	run.ID = h.runID(cfg)
	var err error
	run.Expect, err = s.expectations(run, e)
	return err
}

// hasher computes RunID with one buffer for all the runs of a plan.
type hasher struct {
	buf     bytes.Buffer
	enc     *json.Encoder
	checked bool // the first id was compared with RunID's
	differs bool // and differed: RunID it is
}

func newHasher() *hasher {
	h := &hasher{}
	h.enc = json.NewEncoder(&h.buf)
	return h
}

// runID is RunID(cfg): the hash of json.Marshal's bytes, which are the
// Encoder's without its final newline. Should config.Config.Hash ever
// hash otherwise, the first run shows it and RunID is used.
func (h *hasher) runID(cfg *config.Config) string {
	if h.differs || cfg.L2 != "" {
		// Hash leaves a spelt-out default l2 out; the encoder would not.
		return RunID(*cfg)
	}
	dev := cfg.Device
	cfg.Device = DeviceKind(dev)
	h.buf.Reset()
	err := h.enc.Encode(cfg)
	cfg.Device = dev
	if err != nil {
		return RunID(*cfg)
	}
	sum := sha256.Sum256(bytes.TrimSuffix(h.buf.Bytes(), []byte("\n")))
	id := hex.EncodeToString(sum[:6])
	if !h.checked {
		h.checked = true
		if want := RunID(*cfg); want != id {
			h.differs = true
			return want
		}
	}
	return id
}

func firstLine(e *entry, axes []*axis, pos []int) int {
	if e.overrides != nil {
		return e.overrides.Line
	}
	if len(axes) > 0 {
		return axes[0].values[pos[0]].node.Line
	}
	return 0
}

// setter applies one source of settings (a grid value, a runs entry's
// overrides) to a configuration. Decoding YAML for each of a million runs
// is most of the time a plan takes, so where each key the source sets is
// a field of config.Config, the setter copies those fields from the
// configuration the source makes of the base, decoded once. The sources
// of a run set disjoint keys (parseRuns checks it), so the copy gives what
// decoding again would.
type setter struct {
	fields []fieldValue
	node   *yaml.Node // when set, the source is decoded again each time
}

type fieldValue struct {
	index []int
	value reflect.Value
}

// newSetter returns the setter of node, whose keys are keys and which
// makes applied of base.
func newSetter(base, applied config.Config, keys []leaf, node *yaml.Node) setter {
	slow := setter{node: node}
	var s setter
	av := reflect.ValueOf(&applied).Elem()
	for _, k := range keys {
		index, ok := fieldIndex(k.key)
		if !ok {
			return slow
		}
		s.fields = append(s.fields, fieldValue{index: index, value: av.FieldByIndex(index)})
	}
	// Decoding may not touch anything beside the keys' fields (a custom
	// decoder could): then the copy is not the decoding, and is not used.
	check := base
	if s.apply(&check, "") != nil || !reflect.DeepEqual(check, applied) {
		return slow
	}
	return s
}

func (s *setter) apply(cfg *config.Config, file string) error {
	if s.node != nil {
		return config.ApplyYAML(s.node, file, cfg)
	}
	v := reflect.ValueOf(cfg).Elem()
	for _, f := range s.fields {
		v.FieldByIndex(f.index).Set(f.value)
	}
	return nil
}

// fieldIndex is the index path in config.Config of the dotted key
// ("data.val_holdout"), by the fields' JSON names.
func fieldIndex(dotted string) ([]int, bool) {
	t := reflect.TypeOf(config.Config{})
	var index []int
	for _, part := range strings.Split(dotted, ".") {
		if t.Kind() != reflect.Struct {
			return nil, false
		}
		found := false
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.IsExported() && !f.Anonymous && name == part {
				index, t, found = append(index, i), f.Type, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return index, true
}
