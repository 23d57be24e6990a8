package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// GridPlan expands a grid given on the command line (gtrain sweep run
// --grid lambda=0,0.01 --grid eta=0.001,0.01): each axis is key=v1,v2,…
// over opt.Base, as the grid of a sweep file that holds nothing else. The
// sweep is named grid-<hash of the axes>, so that the same grid finds its
// sweep directory again.
func GridPlan(ctx context.Context, axes []string, opt Options) (*Plan, error) {
	if len(axes) == 0 {
		return nil, fmt.Errorf("--grid: no axis")
	}
	var b strings.Builder
	b.WriteString("grid:\n")
	for _, a := range axes {
		key, vals, ok := strings.Cut(a, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.TrimSpace(vals) == "" {
			return nil, fmt.Errorf("--grid %q: want key=value,value,… such as lambda=0,0.01,0.1", a)
		}
		var vs []string
		for _, v := range strings.Split(vals, ",") {
			v = strings.TrimSpace(v)
			if v == "" || strings.ContainsAny(v, "[]{}#\"'\n") {
				return nil, fmt.Errorf("--grid %q: value %q: want plain values separated by commas", a, v)
			}
			vs = append(vs, v)
		}
		if strings.ContainsAny(key, "[]{}#:\"' \n") {
			return nil, fmt.Errorf("--grid %q: key %q is no setting", a, key)
		}
		// Plain YAML scalars, read by the sweep file's strict layer: a
		// number where a number is wanted, a word where a word is.
		fmt.Fprintf(&b, "  %s: [%s]\n", key, strings.Join(vs, ", "))
	}
	sum := sha256.Sum256([]byte(b.String()))
	text := "name: grid-" + hex.EncodeToString(sum[:4]) + "\n" + b.String()
	s, err := parseSpec([]byte(text), "--grid", opt)
	if err != nil {
		// The line numbers are of the text written here: drop them.
		msg := err.Error()
		if rest, ok := strings.CutPrefix(msg, "--grid:"); ok {
			if _, after, ok := strings.Cut(rest, ": "); ok {
				msg = after
			}
		}
		return nil, fmt.Errorf("--grid: %s", msg)
	}
	return s.expand(ctx)
}
