package sweep

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gtrain/gtrain/models/config"
	"github.com/gtrain/gtrain/models/expect"
)

// parseExpect reads an expect: value whose when: may pick rows of grid.
func (f *file) parseExpect(n *yaml.Node, where string, grid []axis) ([]expect.Item, error) {
	items, err := expect.Parse(n, f.name, where)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		for _, c := range it.When {
			a := findAxis(grid, c.Key)
			if a == nil {
				keys := make([]string, len(grid))
				for i := range grid {
					keys[i] = grid[i].key
				}
				if len(keys) == 0 {
					return nil, lineErr(f.name, c.Line, where+".when."+c.Key, "this run has no grid: when: picks grid rows, leave it out")
				}
				return nil, lineErr(f.name, c.Line, where+".when."+c.Key, "not a key of the run's grid ("+strings.Join(keys, ", ")+")")
			}
			if !hasValue(a, c.Value) {
				vals := make([]string, len(a.values))
				for i, v := range a.values {
					vals[i] = v.param.Value
				}
				return nil, lineErr(f.name, c.Line, where+".when."+c.Key, fmt.Sprintf("%s is not among the grid's values (%s)", c.Value, strings.Join(vals, ", ")))
			}
		}
	}
	return items, nil
}

// lineErr is the error at line of file under key.
func lineErr(file string, line int, key, msg string) error {
	return &config.ConfigFileError{File: file, Line: line, Key: key, Msg: msg}
}

func findAxis(grid []axis, key string) *axis {
	for i := range grid {
		if grid[i].key == key {
			return &grid[i]
		}
	}
	return nil
}

func hasValue(a *axis, v string) bool {
	for _, x := range a.values {
		if x.param.Value == v {
			return true
		}
	}
	return false
}

// expectations are the figures of the run: those of the items (the top
// level's, then its entry's) whose when: its parameters satisfy. A figure
// stated twice for one run is an error naming both lines.
func (s *spec) expectations(run *Run, e *entry) ([]expect.Figure, error) {
	if len(s.expect) == 0 && len(e.expect) == 0 {
		return nil, nil
	}
	var out []expect.Figure
	for _, items := range [][]expect.Item{s.expect, e.expect} {
		for _, it := range items {
			if !picks(it, run.Params) {
				continue
			}
			for _, fig := range it.Figures {
				for _, have := range out {
					if have.Key == fig.Key {
						return nil, lineErr(s.f.name, fig.Line, "expect."+fig.Key, fmt.Sprintf("run %s: stated twice (lines %d and %d)", run.Origin, have.Line, fig.Line))
					}
				}
				out = append(out, fig)
			}
		}
	}
	return out, nil
}

func picks(it expect.Item, params []Param) bool {
	for _, c := range it.When {
		found := false
		for _, p := range params {
			if p.Key == c.Key && p.Value == c.Value {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
