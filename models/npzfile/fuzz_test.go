package npzfile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadGradFile: any bytes give a file or one error, never a panic
// (npyio panics on some dtype mismatches; data/npz turns them into
// errors), and a file that reads is consistent with its shapes.
func FuzzReadGradFile(f *testing.F) {
	for _, arrays := range []map[string]entry{validLinear(), {"hidden": ints(6), "W2": floats(3, 6)}} {
		b, err := os.ReadFile(writeEntries(f, arrays))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "f.npz")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := ReadGradFile(path)
		if err != nil {
			return
		}
		if len(g.X) != g.N*g.D || len(g.Labels) != g.N || g.N == 0 {
			t.Fatalf("X %d values, %d labels for n %d d %d", len(g.X), len(g.Labels), g.N, g.D)
		}
		for _, p := range g.Params {
			n := 1
			for _, s := range p.Shape {
				n *= s
			}
			if len(p.Value) != n || len(p.Grad) != n {
				t.Fatalf("%s: %d values and %d gradients for shape %v", p.Name, len(p.Value), len(p.Grad), p.Shape)
			}
		}
		for _, c := range g.Labels {
			if c < 0 || c >= g.K {
				t.Fatalf("label %d for K %d", c, g.K)
			}
		}
	})
}
