package runfiles

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data"
	"github.com/gtrain/gtrain/graph"
)

// validModel returns a model of the data's shape with small random
// weights and a plausible normalization.
func validModel() *Model {
	rng := rand.New(rand.NewPCG(3, 4))
	p := graph.NewParams[float64](data.NumClasses, data.ImageSize)
	for i := range p.W {
		p.W[i] = 0.01 * rng.NormFloat64()
	}
	nz := &data.Normalizer{Mean: make([]float64, data.ImageSize), Std: make([]float64, data.ImageSize)}
	for i := range nz.Mean {
		nz.Mean[i], nz.Std[i] = 0.4+0.1*rng.Float64(), 0.2+0.1*rng.Float64()
	}
	return NewModel(graph.AsNet(p), data.DefaultClasses(), nz)
}

// modelFields returns m as the generic JSON object of its model.json, to
// edit in ways the Model type cannot express (nulls, wrong types).
func modelFields(t *testing.T, m *Model) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// TestReadModelRefuses: each bad model.json is refused with one line naming
// the file and the field; before, several were accepted and evaluated to
// NaN, and d = 100 made eval panic.
func TestReadModelRefuses(t *testing.T) {
	d := data.ImageSize
	for _, tc := range []struct {
		name string
		m    func(*Model)         // an edit of the model, or nil
		j    func(map[string]any) // then an edit of its JSON fields, or nil
		want string
	}{
		{"d 100", func(m *Model) {
			m.D, m.W, m.Mean, m.Std = 100, m.W[:10*100], m.Mean[:100], m.Std[:100]
		}, nil, "d = 100: the images have 3072 values"},
		{"std all 0", func(m *Model) { m.Std = fill(d, 0) }, nil, "std[0] = 0: want a finite value in [1e-09, 1e+06]"},
		{"negative std", func(m *Model) { m.Std[7] = -0.2 }, nil, "std[7] = -0.2"},
		{"tiny std", func(m *Model) { m.Std[1] = 1e-300 }, nil, "std[1] = 1e-300"},
		{"null in w", nil, func(f map[string]any) { f["w"].([]any)[5] = nil }, "w[5] is null"},
		{"null in b", nil, func(f map[string]any) { f["b"].([]any)[0] = nil }, "b[0] is null"},
		{"null in mean", nil, func(f map[string]any) { f["mean"].([]any)[9] = nil }, "mean[9] is null"},
		{"null in std", nil, func(f map[string]any) { f["std"].([]any)[3071] = nil }, "std[3071] is null"},
		{"null class", nil, func(f map[string]any) { f["classes"].([]any)[2] = nil }, "classes[2] is null"},
		{"w null", nil, func(f map[string]any) { f["w"] = nil }, "w: 0 values, want k×d = 30720"},
		{"dtype int8", func(m *Model) { m.Dtype = "int8" }, nil, `dtype "int8": want float64 or float32`},
		{"no dtype", nil, func(f map[string]any) { delete(f, "dtype") }, `dtype "": want float64 or float32`},
		{"w 1e308", func(m *Model) { m.W = fill(len(m.W), 1e308) }, nil, "w[0] = 1e+308: want a finite value in [-1e+06, 1e+06]"},
		{"b too large", func(m *Model) { m.B[9] = -2e6 }, nil, "b[9] = -2e+06"},
		{"mean outside [0, 1]", func(m *Model) { m.Mean[4] = 1.5 }, nil, "mean[4] = 1.5: want a finite value in [0, 1]"},
		{"number too large for float64", nil, func(f map[string]any) { f["w"].([]any)[0] = json.Number("1e309") }, "not a gtrain model"},
		{"w a string", nil, func(f map[string]any) { f["w"] = "AAAA" }, "not a gtrain model"},
		{"duplicate class", func(m *Model) { m.Classes = append([]string{}, m.Classes...); m.Classes[9] = "cat" }, nil, `classes[3] and classes[9] are both "cat"`},
		{"empty class", func(m *Model) { m.Classes = append([]string{}, m.Classes...); m.Classes[0] = "" }, nil, "classes[0] is empty"},
		{"k not the names", func(m *Model) { m.Classes = m.Classes[:9] }, nil, "classes: 9 names for k = 10 classes"},
		{"k 0", func(m *Model) { m.K, m.Classes, m.W, m.B = 0, nil, nil, nil }, nil, "k = 0"},
		{"short w", func(m *Model) { m.W = m.W[1:] }, nil, "w: 30719 values, want k×d = 30720"},
		{"short b", func(m *Model) { m.B = m.B[1:] }, nil, "b: 9 values, want k = 10"},
		{"short mean", func(m *Model) { m.Mean = m.Mean[1:] }, nil, "mean: 3071 values, want d = 3072"},
		{"short std", func(m *Model) { m.Std = nil }, nil, "std: 0 values, want d = 3072"},
		{"version 2", func(m *Model) { m.Version = 2 }, nil, "version: format version 2, this gtrain reads 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := validModel()
			if tc.m != nil {
				tc.m(m)
			}
			f := modelFields(t, m)
			if tc.j != nil {
				tc.j(f)
			}
			b, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, ModelFile)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadModel(dir)
			if err == nil {
				t.Fatalf("accepted: k=%d d=%d dtype %q", got.K, got.D, got.Dtype)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+": ") || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line %q", msg, path+": ..."+tc.want)
			}
		})
	}
}

// TestReadModelAccepts: a model as training writes it reads back exactly,
// in both dtypes.
func TestReadModelAccepts(t *testing.T) {
	for _, dtype := range []string{"float64", "float32"} {
		t.Run(dtype, func(t *testing.T) {
			want := validModel()
			if dtype == "float32" {
				want = NewModel(graph.AsNet(float32Params(want)), want.Classes, want.Normalizer())
			}
			want.Std[0] = 1 // a constant dimension's, as FitNormalizer gives
			dir := t.TempDir()
			if err := WriteModel(dir, want); err != nil {
				t.Fatal(err)
			}
			got, err := ReadModel(dir)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(want)
			b, _ := json.Marshal(got)
			if got.Dtype != dtype || string(a) != string(b) {
				t.Errorf("round trip changed the model (dtype %s)", got.Dtype)
			}
		})
	}
}

// TestModelFromCheckpoint: eval's fallback to checkpoint.json validates
// the parameters as model.json's are; before, a checkpoint of d = 100 or
// of 1e308 weights was evaluated.
func TestModelFromCheckpoint(t *testing.T) {
	cfg := smallConfig()
	splits := randomSplits(4)
	k, d := data.NumClasses, data.ImageSize
	for _, tc := range []struct {
		name string
		w, b []float64
		want string // error substring; "" if accepted
	}{
		{"good", fill(k*d, 0.01), fill(k, 0), ""},
		{"d 100", fill(k*100, 0.01), fill(k, 0), "d = 100: the images have 3072 values"},
		{"huge weights", fill(k*d, 1e308), fill(k, 0), "w[0] = 1e+308"},
		{"three classes", fill(3*d, 0.01), fill(3, 0), "classes: 10 names for k = 3 classes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ck := &Checkpoint{Version: CheckpointVersion, ConfigHash: cfg.Hash(), Dtype: cfg.Dtype, Eta: cfg.Eta, W: tc.w, B: tc.b}
			if err := WriteCheckpoint(dir, ck); err != nil {
				t.Fatal(err)
			}
			m, err := ModelFromCheckpoint(dir, &cfg, splits)
			if tc.want == "" {
				if err != nil || m.K != k || m.D != d || m.Dtype != cfg.Dtype || len(m.Std) != d {
					t.Fatalf("model %v, %v", m != nil, err)
				}
				return
			}
			path := filepath.Join(dir, CheckpointFile)
			if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, path+": ..."+tc.want)
			}
		})
	}
}

// TestModelFromCheckpointEarlyStop: the model of a run finished by early
// stopping is its best epoch's, as in the model.json it would have written;
// an unfinished run's is its current parameters.
func TestModelFromCheckpointEarlyStop(t *testing.T) {
	cfg := smallConfig()
	cfg.EarlyStop = 2
	splits := randomSplits(4)
	k, d := data.NumClasses, data.ImageSize
	for _, finished := range []bool{true, false} {
		dir := t.TempDir()
		ck := &Checkpoint{Version: CheckpointVersion, ConfigHash: cfg.Hash(), Dtype: cfg.Dtype, Eta: cfg.Eta,
			W: fill(k*d, 0.01), B: fill(k, 0.5), Finished: finished, BestEpoch: 1, BestW: fill(k*d, 0.02), BestB: fill(k, 0.25)}
		if err := WriteCheckpoint(dir, ck); err != nil {
			t.Fatal(err)
		}
		m, err := ModelFromCheckpoint(dir, &cfg, splits)
		if err != nil {
			t.Fatal(err)
		}
		wantW, wantB := 0.02, 0.25
		if !finished {
			wantW, wantB = 0.01, 0.5
		}
		if m.W[0] != wantW || m.W[k*d-1] != wantW || m.B[0] != wantB {
			t.Errorf("finished %v: w %v, b %v; want %v, %v", finished, m.W[0], m.B[0], wantW, wantB)
		}
	}
}
