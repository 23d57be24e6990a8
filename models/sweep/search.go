package sweep

import (
	"math"
	"math/rand/v2"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/gtrain/gtrain/models/yamlstrict"
)

// A grid key's values may be drawn at random instead of listed, as the
// course's coarse-to-fine search of λ does:
//
//	grid:
//	  lambda: {random: log-uniform, min: -5, max: -1, samples: 8, seed: 1}
//
// draws 8 values 10^l with l uniform in [-5, -1] ("uniform": the values
// themselves uniform in [min, max]) from a PCG seeded with seed (default
// 0) on a stream of its own, each rounded to 4 significant digits. The
// same file gives the same values; a finer search is another entry (or
// file) with a narrower range. The drawn values are the axis's values:
// plan, run ids and tables show them as if they had been listed.

// searchStream is the PCG stream of the random search's draws.
const searchStream = 0x5ea4c4

// maxSamples bounds a random axis: a grid of a million runs is already
// more than a sweep file is for.
const maxSamples = 100000

// drawAxis returns the list of values the random-search mapping n draws.
func (f *file) drawAxis(n *yaml.Node, key string) (*yaml.Node, error) {
	var (
		kind               string
		lo, hi             float64
		samples            int
		seed               uint64
		haveLo, haveHi, n0 bool
	)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "random":
			kind = v.Value
			if kind != "log-uniform" && kind != "uniform" {
				return nil, f.errf(v, key+".random", "%q: want log-uniform (10^x, x uniform in [min, max]) or uniform", v.Value)
			}
		case "min":
			lo, err = strconv.ParseFloat(v.Value, 64)
			haveLo = true
		case "max":
			hi, err = strconv.ParseFloat(v.Value, 64)
			haveHi = true
		case "samples":
			samples, err = strconv.Atoi(v.Value)
			n0 = true
			if err == nil && (samples < 1 || samples > maxSamples) {
				return nil, f.errf(v, key+".samples", "%d: want 1..%d", samples, maxSamples)
			}
		case "seed":
			seed, err = strconv.ParseUint(v.Value, 10, 64)
		default:
			return nil, f.errf(k, key+"."+k.Value, "unknown key of a random axis (want random, min, max, samples, seed)")
		}
		if err != nil || v.Kind != yaml.ScalarNode {
			return nil, f.errf(v, key+"."+k.Value, "want a number, got %s", yamlstrict.Describe(v))
		}
	}
	switch {
	case kind == "":
		return nil, f.errf(n, key, "want a list of values, or a random axis {random: log-uniform|uniform, min, max, samples}")
	case !haveLo || !haveHi || !n0:
		return nil, f.errf(n, key, "a random axis needs min, max and samples")
	case math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) || !(lo < hi):
		return nil, f.errf(n, key, "min %v, max %v: want finite numbers with min < max", lo, hi)
	case kind == "log-uniform" && (lo < -300 || hi > 300):
		return nil, f.errf(n, key, "min %v, max %v: exponents of 10 beyond ±300", lo, hi)
	}
	rng := rand.New(rand.NewPCG(seed, searchStream))
	list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: n.Line, Column: n.Column}
	for range samples {
		x := lo + rng.Float64()*(hi-lo)
		if kind == "log-uniform" {
			x = math.Pow(10, x)
		}
		s := strconv.FormatFloat(x, 'g', 4, 64)
		list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s, Line: n.Line, Column: n.Column})
	}
	return list, nil
}
