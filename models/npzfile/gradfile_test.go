package npzfile

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/data/npz"
	"github.com/gtrain/gtrain/graph"
)

func TestMain(m *testing.M) {
	graph.UseBLAS(graph.BLASOptions{})
	os.Exit(m.Run())
}

// randomLinear is a linear model and batch like a normalized CIFAR one.
func randomLinear(seed uint64, k, d, n int) (*graph.Params[float64], graph.Batch[float64]) {
	rng := rand.New(rand.NewPCG(seed, 3))
	p := graph.NewParams[float64](k, d)
	p.InitGaussian(rng, 0.01)
	b := graph.Batch[float64]{X: make([]float64, n*d), Labels: make([]uint8, n)}
	for i := range b.X {
		b.X[i] = rng.NormFloat64()
	}
	for i := range b.Labels {
		b.Labels[i] = uint8(rng.IntN(k))
	}
	return p, b
}

// The names are a table over layers: a k-layer net is more rows.
func TestParamSpecs(t *testing.T) {
	names := func(s []ParamSpec) (out []string) {
		for _, p := range s {
			out = append(out, p.Name+npz.ShapeString(p.Shape))
		}
		return out
	}
	cases := []struct {
		hidden []int
		bn     bool
		want   []string
	}{
		{nil, false, []string{"W1(10, 20)", "b1(10,)"}},
		{[]int{50}, false, []string{"W1(50, 20)", "b1(50,)", "W2(10, 50)", "b2(10,)"}},
		{[]int{50, 30}, true, []string{"W1(50, 20)", "b1(50,)", "gamma1(50,)", "beta1(50,)",
			"W2(30, 50)", "b2(30,)", "gamma2(30,)", "beta2(30,)", "W3(10, 30)", "b3(10,)"}},
	}
	for _, c := range cases {
		if got := names(ParamSpecs(20, c.hidden, 10, c.bn)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("hidden %v bn %v: %v, want %v", c.hidden, c.bn, got, c.want)
		}
	}
	if w := ParamSpecs(20, []int{50}, 10, false)[2].What; w != "layer 2's weights, K×m1" {
		t.Errorf("W2 is %q", w)
	}
}

// What WriteGradFile writes, ReadGradFile reads back exactly, in both
// layouts; Compare then finds the file's gradients equal to autodiff's
// (they are autodiff's) and within 1e-6 of the numerical ones.
func TestGradFileRoundTrip(t *testing.T) {
	for _, layout := range []Layout{Course, Rows} {
		for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
			p, b := randomLinear(7, 4, 6, 9)
			f, err := NewLinearGradFile(p, b, loss, 0.2, layout)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "g.npz")
			if err := WriteGradFile(path, f); err != nil {
				t.Fatal(err)
			}
			got, err := ReadGradFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f.Path = path
			if !reflect.DeepEqual(got, f) {
				t.Errorf("%s %s: read back\n%+v\nwant\n%+v", layout, loss, got, f)
			}
			cfg := graph.GradCheckConfig{Floor: 1e-9}
			checks, err := Compare(got, cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range checks {
				if c.UserVsAutodiff != 0 || !(c.UserVsNumerical <= 1e-6) {
					t.Errorf("%s %s %s: vs autodiff %.3g (want 0), vs numerical %.3g (want ≤ 1e-6)", layout, loss, c.Name, c.UserVsAutodiff, c.UserVsNumerical)
				}
			}
			if err := Verdict(checks, 1e-6); err != nil {
				t.Error(err)
			}
		}
	}
}

// A gradient that is wrong by a little or by a transpose of the right
// shape (K = d) fails the verdict, naming it; the other passes.
func TestVerdictFlagsWrongGradient(t *testing.T) {
	p, b := randomLinear(2, 5, 5, 12)
	cases := []struct {
		name   string
		change func(g []float64)
	}{
		{"transposed", func(g []float64) { copy(g, transpose(append([]float64(nil), g...), 5, 5)) }},
		{"one entry off by 1e-4", func(g []float64) { g[7] *= 1 + 1e-4 }},
		{"missing 2λW", func(g []float64) {
			for i := range g {
				g[i] -= 2 * 0.5 * p.W[i]
			}
		}},
	}
	for _, c := range cases {
		f, err := NewLinearGradFile(p, b, graph.CrossEntropy, 0.5, Course)
		if err != nil {
			t.Fatal(err)
		}
		c.change(f.Param("W1").Grad)
		checks, err := Compare(f, graph.GradCheckConfig{})
		if err != nil {
			t.Fatal(err)
		}
		err = Verdict(checks, 1e-6)
		if err == nil || !strings.Contains(err.Error(), "grad_W1 differs from autodiff") || strings.Contains(err.Error(), "grad_b1") {
			t.Errorf("%s: verdict %v, want grad_W1 flagged alone", c.name, err)
		}
	}
}

// A file of a net with hidden layers is compared with gtrain's k-layer
// graph; a batch-normalized layer's bias, which gtrain's layer does not
// have, is compared with its exact gradient 0.
func TestCompareNetwork(t *testing.T) {
	arch := graph.Arch{In: 4, Out: 3, Hidden: []int{5}, BatchNorm: true}
	p, err := graph.NewMLPParams[float64](arch)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range p.Tensors {
		for j := range p.Tensors[i].Data {
			p.Tensors[i].Data[j] += 0.5 * rng.NormFloat64()
		}
	}
	b := graph.Batch[float64]{X: make([]float64, 8*4), Labels: []uint8{0, 2, 1, 1, 0, 2, 2, 1}}
	for i := range b.X {
		b.X[i] = rng.NormFloat64()
	}
	gs, err := graph.MLPGradients(p, b, graph.GradCheckConfig{Loss: graph.CrossEntropy, Lambda: 0.1, H: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	f := &GradFile{Path: "bn.npz", Loss: graph.CrossEntropy, Lambda: 0.1, Hidden: arch.Hidden, BatchNorm: true, D: 4, K: 3, N: 8, X: b.X, Labels: []int{0, 2, 1, 1, 0, 2, 2, 1}}
	for _, spec := range ParamSpecs(4, arch.Hidden, 3, true) {
		fp := Param{ParamSpec: spec, Value: make([]float64, spec.Shape[0]*max(1, prod(spec.Shape[1:]))), Grad: make([]float64, spec.Shape[0]*max(1, prod(spec.Shape[1:])))}
		if t := p.Lookup(spec.Name); t != nil {
			copy(fp.Value, t.Data)
			for i, name := range gs.Names {
				if name == spec.Name {
					copy(fp.Grad, gs.Analytic[i])
				}
			}
		} else {
			fp.Grad[0] = 1e-17 // the course's b1 under BN: 0 up to rounding
		}
		f.Params = append(f.Params, fp)
	}
	checks, err := Compare(f, graph.GradCheckConfig{H: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verdict(checks, 1e-6); err != nil {
		t.Errorf("the hand-derived gradients of a BN net refused: %v", err)
	}
	f.Param("b1").Grad[0] = 1e-3
	checks, _ = Compare(f, graph.GradCheckConfig{H: 1e-5})
	if err := Verdict(checks, 1e-6); err == nil || !strings.Contains(err.Error(), "grad_b1") {
		t.Errorf("a non-zero gradient of b1 under BN: verdict %v", err)
	}
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}
