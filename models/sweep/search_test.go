package sweep

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/models/config"
)

// TestRandomAxis: a random axis draws its samples from its seed, inside
// its range (10^[min, max] for log-uniform), the same on every parse, and
// other seeds draw others; bad axes are one error naming the line.
func TestRandomAxis(t *testing.T) {
	doc := func(axis string) []byte {
		return []byte("name: rs\nlambda: 0\ngrid:\n  lambda: " + axis + "\n  eta: [0.001, 0.01]\n")
	}
	values := func(axis string) []float64 {
		t.Helper()
		p, err := Parse(doc(axis), "rs.yaml", Options{Base: config.DefaultConfig()})
		if err != nil {
			t.Fatal(err)
		}
		var out []float64
		for _, r := range p.Runs {
			if r.Config.Eta == 0.001 {
				out = append(out, r.Config.Lambda)
			}
		}
		return out
	}
	a := values("{random: log-uniform, min: -5, max: -1, samples: 8, seed: 3}")
	if len(a) != 8 {
		t.Fatalf("%d values, want 8", len(a))
	}
	for _, v := range a {
		if l := math.Log10(v); !(l >= -5-1e-3 && l <= -1+1e-3) {
			t.Errorf("λ %v outside 10^[-5, -1]", v)
		}
	}
	if b := values("{random: log-uniform, min: -5, max: -1, samples: 8, seed: 3}"); !slices.Equal(a, b) {
		t.Errorf("the same axis drew %v, then %v", a, b)
	}
	if c := values("{random: log-uniform, min: -5, max: -1, samples: 8, seed: 4}"); slices.Equal(a, c) {
		t.Error("seeds 3 and 4 drew the same values")
	}
	for _, v := range values("{random: uniform, min: 0.1, max: 0.2, samples: 5}") {
		if !(v >= 0.1 && v <= 0.2) {
			t.Errorf("uniform value %v outside [0.1, 0.2]", v)
		}
	}
	for _, c := range []struct{ axis, want string }{
		{"{random: normal, min: 0, max: 1, samples: 2}", "log-uniform"},
		{"{random: uniform, min: 1, max: 0, samples: 2}", "min < max"},
		{"{random: uniform, min: 0, max: 1}", "needs min, max and samples"},
		{"{random: uniform, min: 0, max: 1, samples: 0}", "samples"},
		{"{random: uniform, min: 0, max: x, samples: 2}", "number"},
		{"{random: uniform, min: 0, max: 1, samples: 2, step: 1}", "unknown key"},
		{"{min: 0, max: 1, samples: 2}", "random axis"},
	} {
		_, err := Parse(doc(c.axis), "rs.yaml", Options{Base: config.DefaultConfig()})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "rs.yaml:4") {
			t.Errorf("%s: err = %v, want rs.yaml:4 and %q", c.axis, err, c.want)
		}
	}
}
