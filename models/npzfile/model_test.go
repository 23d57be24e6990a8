package npzfile

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/data/datatest"
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/runfiles"
)

// testModel is a valid float32 model with random parameters and
// normalization.
func testModel(t *testing.T) *runfiles.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, 5))
	p := graph.NewParams[float32](data.NumClasses, data.ImageSize)
	p.InitGaussian(rng, 0.3)
	nz := &data.Normalizer{Mean: make([]float64, data.ImageSize), Std: make([]float64, data.ImageSize)}
	for i := range nz.Mean {
		nz.Mean[i], nz.Std[i] = rng.Float64(), 0.05+rng.Float64()/3
	}
	m := runfiles.NewModel(graph.AsNet(p), data.DefaultClasses(), nz)
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

// NumPy reads the exported model with model.json's every value, bit for
// bit.
func TestWriteModelReadByNumPy(t *testing.T) {
	python := datatest.NumPy(t, "NumPy's reading of an exported model goes unchecked")
	dir := t.TempDir()
	m := testModel(t)
	if err := runfiles.WriteModel(dir, m); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.npz")
	if err := WriteModel(path, m); err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys
import numpy as np
z = np.load(sys.argv[1])
j = json.load(open(sys.argv[2]))
assert sorted(z.files) == ['W1', 'b1', 'classes', 'dtype', 'mean', 'std', 'version'], z.files
K, d = j['k'], j['d']
assert z['W1'].shape == (K, d) and z['W1'].dtype == np.float64
assert (z['W1'] == np.array(j['w']).reshape(K, d)).all()
assert z['b1'].shape == (K,) and (z['b1'] == np.array(j['b'])).all()
assert (z['mean'] == np.array(j['mean'])).all() and (z['std'] == np.array(j['std'])).all()
assert list(z['classes']) == j['classes'], z['classes']
assert str(z['dtype']) == j['dtype'] and int(z['version']) == j['version']
print('ok')
`
	out, err := exec(python, "-c", script, path, filepath.Join(dir, runfiles.ModelFile))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.TrimSpace(out) != "ok" {
		t.Errorf("python printed %q", out)
	}
}

// A model that does not validate is refused before anything is written.
func TestWriteModelInvalid(t *testing.T) {
	m := testModel(t)
	m.B = m.B[:3]
	path := filepath.Join(t.TempDir(), "m.npz")
	if err := WriteModel(path, m); err == nil || !strings.Contains(err.Error(), "model: b: 3 values, want k = 10") {
		t.Errorf("error %v", err)
	}
}
