package sweep

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/expect"
	"github.com/gtrain/gtrain/models/yamlstrict"
)

// file names the sweep file in errors.
type file struct{ name string }

func (f *file) errf(n *yaml.Node, key, format string, args ...any) error {
	return yamlstrict.Errorf(f.name, n, key, format, args...)
}

// axis is one key of a grid with its values.
type axis struct {
	key    string // dotted
	keyN   *yaml.Node
	values []value
}

// value is one value of an axis with what each of its runs takes from it,
// worked out once.
type value struct {
	node   *yaml.Node
	param  Param  // key=value as written
	origin string // "eta=0.1 (line 4)"
	set    setter
}

type entry struct {
	name      string
	origin    string
	overrides *yaml.Node // mapping of config keys
	params    []Param    // the keys the overrides set, with their values
	set       setter     // applies the overrides
	grid      []axis
	expect    []expect.Item
}

func (f *file) parseGrid(n *yaml.Node, where string, base config.Config) ([]axis, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, f.errf(n, where, "want a mapping of keys to lists of values, got %s", yamlstrict.Describe(n))
	}
	if len(n.Content) == 0 {
		return nil, f.errf(n, where, "empty grid: give at least one key with a list of values, or leave grid out")
	}
	var out []axis
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := where + "." + k.Value
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			return nil, f.errf(k, where, "a grid key must be a setting's name, got %s", yamlstrict.Describe(k))
		}
		if v.Kind == yaml.MappingNode {
			drawn, err := f.drawAxis(v, key)
			if err != nil {
				return nil, err
			}
			v = drawn
		}
		if v.Kind != yaml.SequenceNode {
			return nil, f.errf(v, key, "want a list of values, got %s (write [%s] for one value)", yamlstrict.Describe(v), v.Value)
		}
		if len(v.Content) == 0 {
			return nil, f.errf(v, key, "empty list of values: give at least one")
		}
		a := axis{key: k.Value, keyN: k}
		// Every value must apply to a configuration: unknown keys and type
		// errors show here, with the value's line.
		seen := map[string]int{}
		for _, val := range v.Content {
			c := base
			n := nest(k, val)
			if err := config.ApplyYAML(n, f.name, &c); err != nil {
				return nil, err
			}
			s := render(val)
			if line, dup := seen[s]; dup {
				return nil, f.errf(val, key, "value %s listed twice (lines %d and %d)", s, line, val.Line)
			}
			seen[s] = val.Line
			a.values = append(a.values, value{
				node: val, param: Param{Key: k.Value, Value: s},
				origin: fmt.Sprintf("%s=%s (line %d)", k.Value, s, val.Line),
				set:    newSetter(base, c, []leaf{{key: k.Value, node: val}}, n),
			})
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

func (f *file) parseRuns(n *yaml.Node, base config.Config, grid []axis) ([]entry, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, f.errf(n, "runs", "want a list of runs (each a mapping of settings), got %s", yamlstrict.Describe(n))
	}
	if len(n.Content) == 0 {
		return nil, f.errf(n, "runs", "empty list: give at least one run, or leave runs out")
	}
	var out []entry
	for i, rn := range n.Content {
		where := fmt.Sprintf("runs[%d]", i)
		if rn.Kind != yaml.MappingNode {
			return nil, f.errf(rn, where, "want a mapping of settings, got %s", yamlstrict.Describe(rn))
		}
		e := entry{origin: fmt.Sprintf("%s (line %d)", where, rn.Line), overrides: &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: rn.Line}}
		var gridNode, expectNode *yaml.Node
		for j := 0; j+1 < len(rn.Content); j += 2 {
			k, v := rn.Content[j], rn.Content[j+1]
			switch k.Value {
			case "name":
				if v.Kind != yaml.ScalarNode || v.Value == "" {
					return nil, f.errf(v, where+".name", "want a name, got %s", yamlstrict.Describe(v))
				}
				e.name = v.Value
			case "grid":
				gridNode = v
			case "expect":
				expectNode = v
			case "runs", "repeats":
				return nil, f.errf(k, where+"."+k.Value, "only allowed at the top level of the sweep file")
			default:
				e.overrides.Content = append(e.overrides.Content, k, v)
			}
		}
		c := base
		if err := config.ApplyYAML(e.overrides, f.name, &c); err != nil {
			return nil, err
		}
		set := leafKeys(e.overrides, "")
		for _, k := range set {
			e.params = append(e.params, Param{Key: k.key, Value: render(k.node)})
		}
		e.set = newSetter(base, c, set, e.overrides)
		g, err := f.parseGrid(gridNode, where+".grid", base)
		if err != nil {
			return nil, err
		}
		e.grid = g
		if expectNode != nil {
			if e.expect, err = f.parseExpect(expectNode, where+".expect", append(slices.Clone(grid), g...)); err != nil {
				return nil, err
			}
		}
		// One key, one source.
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

// reservedCollisions lists the reserved sweep keys that are also config
// keys (none; a test keeps it so as Config grows).
func reservedCollisions() []string {
	var out []string
	keys := map[string]bool{}
	for _, k := range config.ConfigKeys() {
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
