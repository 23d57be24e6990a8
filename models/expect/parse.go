package expect

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gtrain/gtrain/models/yamlstrict"
)

// The expect: value of a sweep file is one mapping (figures of every run
// it applies to) or a list of them, each picking grid rows with when:
//
//	expect:
//	  within: {accuracy: 1, cost: 0.05}   # or one number for every figure
//	  test_accuracy: 39.01                # value ± within
//	  train_cost: {value: 1.69, within: 0.1}
//	  val_accuracy: {at_least: 38}        # or at_most: a bound
//	  train_accuracy: {value: 43.66, unreproduced: "why"}
//
//	expect:
//	  - when: {loss: cross}               # the grid rows with loss cross
//	    test_accuracy: 28.70
//	    within: 2.5
//	  - when: {loss: svm}
//	    test_accuracy: 30.04
//	    within: 2.5

// Item is one mapping of an expect: value: its figures and the grid rows
// they are for.
type Item struct {
	When    []Cond
	Figures []Figure
	Line    int
}

// Cond picks the runs whose grid sets Key to Value (as written).
type Cond struct {
	Key, Value string
	Line       int
}

// Parse reads an expect: value (n, at key in file) into its items.
func Parse(n *yaml.Node, file, key string) ([]Item, error) {
	p := parser{file: file}
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		it, err := p.item(n, key)
		if err != nil {
			return nil, err
		}
		return []Item{it}, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, p.errf(n, key, "empty list: give at least one mapping of figures, or leave expect out")
		}
		var out []Item
		for i, c := range n.Content {
			c = deref(c)
			where := fmt.Sprintf("%s[%d]", key, i)
			if c.Kind != yaml.MappingNode {
				return nil, p.errf(c, where, "want a mapping of figures, got %s", yamlstrict.Describe(c))
			}
			it, err := p.item(c, where)
			if err != nil {
				return nil, err
			}
			out = append(out, it)
		}
		return out, nil
	}
	return nil, p.errf(n, key, "want a mapping of figures (%s) or a list of them, got %s", strings.Join(Keys, ", "), yamlstrict.Describe(n))
}

type parser struct{ file string }

// deref follows a YAML alias (*name) to its anchor's node.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func (p parser) errf(n *yaml.Node, key, format string, args ...any) error {
	return yamlstrict.Errorf(p.file, n, key, format, args...)
}

// tolerances are a mapping's within: for accuracies and for costs; NaN
// where it gives none.
type tolerances struct{ accuracy, cost float64 }

func (p parser) item(n *yaml.Node, key string) (Item, error) {
	it := Item{Line: n.Line}
	tol := tolerances{math.NaN(), math.NaN()}
	var figs [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		where := key + "." + k.Value
		switch {
		case k.Value == "when":
			conds, err := p.when(v, where)
			if err != nil {
				return it, err
			}
			it.When = conds
		case k.Value == "within":
			t, err := p.within(v, where)
			if err != nil {
				return it, err
			}
			tol = t
		case slices.Contains(Keys, k.Value):
			figs = append(figs, [2]*yaml.Node{k, v})
		default:
			return it, p.errf(k, where, "unknown key: want when, within or a figure (%s)", strings.Join(Keys, ", "))
		}
	}
	if len(figs) == 0 {
		return it, p.errf(n, key, "no figure: give at least one of %s", strings.Join(Keys, ", "))
	}
	for _, kv := range figs {
		f, err := p.figure(kv[0], kv[1], key+"."+kv[0].Value, tol)
		if err != nil {
			return it, err
		}
		it.Figures = append(it.Figures, f)
	}
	return it, nil
}

func (p parser) when(n *yaml.Node, key string) ([]Cond, error) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil, p.errf(n, key, "want a mapping of grid keys to one of their values, such as {loss: svm}, got %s", yamlstrict.Describe(n))
	}
	var out []Cond
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if v.Kind != yaml.ScalarNode || yamlstrict.IsNull(v) {
			return nil, p.errf(v, key+"."+k.Value, "want one value of the grid's list, got %s", yamlstrict.Describe(v))
		}
		out = append(out, Cond{Key: k.Value, Value: v.Value, Line: k.Line})
	}
	return out, nil
}

func (p parser) within(n *yaml.Node, key string) (tolerances, error) {
	if n.Kind == yaml.ScalarNode {
		v, err := p.number(n, key, 0)
		return tolerances{v, v}, err
	}
	t := tolerances{math.NaN(), math.NaN()}
	if n.Kind != yaml.MappingNode {
		return t, p.errf(n, key, "want a number (every figure's tolerance) or {accuracy: A, cost: C}, got %s", yamlstrict.Describe(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		x, err := p.number(v, key+"."+k.Value, 0)
		if err != nil {
			return t, err
		}
		switch k.Value {
		case "accuracy":
			t.accuracy = x
		case "cost":
			t.cost = x
		default:
			return t, p.errf(k, key+"."+k.Value, "unknown key: want accuracy (percentage points) or cost")
		}
	}
	return t, nil
}

// number reads a finite number ≥ min.
func (p parser) number(n *yaml.Node, key string, min float64) (float64, error) {
	tag := n.ShortTag()
	v, err := strconv.ParseFloat(n.Value, 64)
	if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, p.errf(n, key, "want a number, got %s", yamlstrict.DescribeTyped(n))
	}
	if v < min {
		return 0, p.errf(n, key, "%v: must be ≥ %v", v, min)
	}
	return v, nil
}

func (p parser) figure(k, v *yaml.Node, key string, tol tolerances) (Figure, error) {
	f := Figure{Key: k.Value, Line: k.Line, Tol: math.NaN()}
	hasValue := false
	switch v.Kind {
	case yaml.ScalarNode:
		x, err := p.number(v, key, 0)
		if err != nil {
			return f, err
		}
		f.Value, hasValue = x, true
	case yaml.MappingNode:
		bounds := 0
		for i := 0; i+1 < len(v.Content); i += 2 {
			mk, mv := v.Content[i], deref(v.Content[i+1])
			mkey := key + "." + mk.Value
			switch mk.Value {
			case "value", "at_least", "at_most":
				x, err := p.number(mv, mkey, 0)
				if err != nil {
					return f, err
				}
				bounds++
				f.Value, hasValue = x, mk.Value == "value"
				if !hasValue {
					f.Bound = mk.Value
				}
			case "within":
				x, err := p.number(mv, mkey, 0)
				if err != nil {
					return f, err
				}
				f.Tol = x
			case "unreproduced":
				if mv.Kind != yaml.ScalarNode || mv.ShortTag() != "!!str" || strings.TrimSpace(mv.Value) == "" {
					return f, p.errf(mv, mkey, "want the reason, as text, got %s", yamlstrict.DescribeTyped(mv))
				}
				f.Unreproduced = mv.Value
			default:
				return f, p.errf(mk, mkey, "unknown key: want value (with within), at_least or at_most, and unreproduced")
			}
		}
		if bounds != 1 {
			return f, p.errf(v, key, "give exactly one of value, at_least and at_most (got %d)", bounds)
		}
		if !hasValue && !math.IsNaN(f.Tol) {
			return f, p.errf(v, key, "within goes with value, not with %s", f.Bound)
		}
	default:
		return f, p.errf(v, key, "want the published number, or {value: V, within: T}, {at_least: V}, {at_most: V}, got %s", yamlstrict.Describe(v))
	}
	if f.IsAccuracy() && f.Value > 100 {
		return f, p.errf(v, key, "%v: an accuracy is in %%, at most 100", f.Value)
	}
	if hasValue && math.IsNaN(f.Tol) {
		f.Tol = tol.cost
		if f.IsAccuracy() {
			f.Tol = tol.accuracy
		}
		if math.IsNaN(f.Tol) {
			return f, p.errf(k, key, "no tolerance: give the mapping a within: (a number, or {accuracy: A, cost: C}) or write {value: %v, within: T}", f.Value)
		}
	}
	if !hasValue {
		f.Tol = 0
	}
	return f, nil
}
