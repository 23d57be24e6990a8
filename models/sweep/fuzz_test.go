package sweep

import (
	"testing"

	"github.com/gtrain/gtrain/models/config"
)

// FuzzParse: any sweep text expands to runs with distinct ids or gives an
// error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("epochs: 2\ngrid:\n  lambda: [0, 0.1]\n  loss: [cross, svm]\n"))
	f.Add([]byte("runs:\n  - name: a\n    eta: 0.01\n  - name: b\n    grid: {batch: [10, 20]}\nrepeats: 2\n"))
	f.Add([]byte("grid: {lambda: []}\n"))
	f.Add([]byte("grid: {lamda: [1]}\n"))
	f.Add([]byte("runs: [{eta: 0.1}, {eta: 0.1}]\n"))
	f.Add([]byte("grid: {epochs: [1, 2, 3], batch: [1, 2, 3]}\nrepeats: 1000000000000\n"))
	f.Add([]byte("grid: {loss: [cross, svm]}\nexpect:\n  - {when: {loss: svm}, test_accuracy: 30, within: 2.5}\n  - {test_cost: {at_most: 5}, train_accuracy: {value: 40, within: 1, unreproduced: x}}\n"))
	f.Add([]byte("runs:\n  - {l2: half, expect: {within: &t {accuracy: 1, cost: 0.05}, val_cost: 1.8, test_accuracy: {value: 39, within: *t}}}\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		base := config.DefaultConfig()
		base.Data.Dir = "/data"
		// A small limit keeps each input quick (the limit is checked
		// before any run is made) and so the executions many.
		p, err := Parse(text, "fuzz.yaml", Options{Base: base, MaxRuns: 256})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range p.Runs {
			if seen[r.ID] {
				t.Fatalf("run id %s twice in an accepted plan", r.ID)
			}
			seen[r.ID] = true
		}
	})
}
