package npzfile

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
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

// A network's export holds every tensor of model.json under its name, the
// widths and batch_norm, and NumPy's forward pass with the running
// averages gives model.json's scores (graph.MLPScores).
func TestWriteNetworkModelReadByNumPy(t *testing.T) {
	python := datatest.NumPy(t, "NumPy's reading of an exported network goes unchecked")
	arch := graph.Arch{In: data.ImageSize, Out: data.NumClasses, Hidden: []int{6, 4}, BatchNorm: true}
	p, err := graph.NewMLPParams[float64](arch)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	if err := p.Init(rng, "he"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mean1", "mean2", "gamma1", "beta2"} {
		for i := range p.Lookup(name).Data {
			p.Lookup(name).Data[i] += 0.1 * rng.NormFloat64()
		}
	}
	m := runfiles.NewModel(p, data.DefaultClasses(), testModel(t).Normalizer())
	dir := t.TempDir()
	path := filepath.Join(dir, "net.npz")
	if err := WriteModel(path, m); err != nil {
		t.Fatal(err)
	}
	x := make([]float64, data.ImageSize)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	want, err := graph.MLPScores(p, x)
	if err != nil {
		t.Fatal(err)
	}
	xs := make([]string, len(x))
	for i, v := range x {
		xs[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	script := `
import sys
import numpy as np
z = np.load(sys.argv[1])
assert list(z['hidden']) == [6, 4] and int(z['batch_norm']) == 1, (z['hidden'], z['batch_norm'])
h = np.array([float(v) for v in sys.argv[2].split(',')])
for l in (1, 2):
    s = z['W%d' % l] @ h
    s = (s - z['mean%d' % l]) / np.sqrt(z['var%d' % l] + 1e-5) * z['gamma%d' % l] + z['beta%d' % l]
    h = np.maximum(0, s)
print(','.join(repr(v) for v in z['W3'] @ h + z['b3']))
`
	out, err := exec(python, "-c", script, path, strings.Join(xs, ","))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSpace(out), ",")
	if len(got) != len(want) {
		t.Fatalf("NumPy printed %q", out)
	}
	for i, s := range got {
		v, _ := strconv.ParseFloat(s, 64)
		if math.Abs(v-want[i]) > 1e-9*math.Max(1, math.Abs(want[i])) {
			t.Errorf("score %d: NumPy %v, gtrain %v", i, v, want[i])
		}
	}
}
