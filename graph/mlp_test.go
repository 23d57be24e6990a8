package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomMLP returns a network of arch a initialized with init from a fixed
// seed, γ and β drawn near 1 and 0 (so their gradients are not those of the
// initial values only), and a batch of n samples.
func randomMLP[T Float](t testing.TB, seed uint64, a Arch, init Init, n int) (*MLPParams[T], Batch[T]) {
	t.Helper()
	p, err := NewMLPParams[T](a)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	if err := p.Init(rng, init); err != nil {
		t.Fatal(err)
	}
	for _, ts := range p.Trained() {
		switch ts.Kind {
		case BNScale:
			for i := range ts.Data {
				ts.Data[i] = T(1 + 0.2*rng.NormFloat64())
			}
		case BNShift, Bias:
			for i := range ts.Data {
				ts.Data[i] = T(0.1 * rng.NormFloat64())
			}
		}
	}
	b := Batch[T]{X: make([]T, n*a.In), Labels: make([]uint8, n)}
	for i := range b.X {
		b.X[i] = T(rng.NormFloat64())
	}
	for i := range b.Labels {
		b.Labels[i] = uint8(rng.IntN(a.Out))
	}
	return p, b
}

// TestMLPGradientsThreeWay checks Gorgonia's autodiff of 2-, 3- and 4-layer
// nets, with and without batch normalization, both losses and both dtypes,
// against the hand-derived backward pass and the central difference with
// the course's step h = 1e-5, tensor by tensor.
//
// Tolerances (relative error max |a−b| / max(floor, |a|+|b|)): in float64
// autodiff and the hand-derived gradient agree to rounding, ≤ 1e-9 with a
// floor of 1e-6 (an entry that cancels to 0 keeps a residue of the
// products' summation order: 1.7e-16 on an SVM hidden bias under
// OpenBLAS, 1.7e-4 relative with the course's floor 1e-12, 1.7e-6 with
// 1e-10); against the numerical gradient ≤ 1e-6 with a floor
// of 1e-8 (the central difference's own error, the costs' rounding / 2h,
// is ~1e-11 absolute). In float32 the graph runs in single precision
// against the float64 references: ≤ 1e-3 with a floor of 1e-4 (an SVM bias
// gradient's ±1/n terms cancel to float32 residues of the larger terms).
func TestMLPGradientsThreeWay(t *testing.T) {
	arches := []struct {
		hidden []int
		bn     bool
	}{
		{[]int{6}, false}, {[]int{6}, true},
		{[]int{6, 5}, false}, {[]int{6, 5}, true},
		{[]int{6, 5, 4}, false}, {[]int{6, 5, 4}, true},
	}
	for _, ac := range arches {
		for _, loss := range []Loss{CrossEntropy, SVM} {
			a := Arch{In: 8, Out: 4, Hidden: ac.hidden, BatchNorm: ac.bn}
			name := fmt.Sprintf("%s/%s", a, loss)
			t.Run(name+"/float64", func(t *testing.T) {
				p, b := randomMLP[float64](t, 7, a, "he", 12)
				gs, err := MLPGradients(p, b, GradCheckConfig{Loss: loss, Lambda: 0.05, H: 1e-5, Method: Central})
				if err != nil {
					t.Fatal(err)
				}
				fine, coarse := gs.Compare(1e-6), gs.Compare(1e-8)
				for i, c := range coarse {
					c.AutoAnalytic = fine[i].AutoAnalytic
					if c.AutoAnalytic > 1e-9 || c.AutoNumeric > 1e-6 || c.AnalyticNumeric > 1e-6 {
						t.Errorf("%s: autodiff–analytic %.2e, autodiff–numerical %.2e, analytic–numerical %.2e", c.Name, c.AutoAnalytic, c.AutoNumeric, c.AnalyticNumeric)
					}
				}
			})
			t.Run(name+"/float32", func(t *testing.T) {
				p, b := randomMLP[float32](t, 7, a, "he", 12)
				gs, err := MLPGradients(p, b, GradCheckConfig{Loss: loss, Lambda: 0.05, H: 1e-5, Method: Central})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range gs.Compare(1e-4) {
					if c.AutoAnalytic > 1e-3 || c.AutoNumeric > 1e-3 {
						t.Errorf("%s: autodiff–analytic %.2e, autodiff–numerical %.2e", c.Name, c.AutoAnalytic, c.AutoNumeric)
					}
				}
			})
		}
	}
}

// TestMLPLinearIsNet checks that an MLP without hidden layers is the
// linear classifier: the same cost and gradients as Net.
func TestMLPLinearIsNet(t *testing.T) {
	lp, b, y := randomProblem[float64](3, 4, 9, 7)
	p, err := NewMLPParams[float64](Arch{In: 9, Out: 4})
	if err != nil {
		t.Fatal(err)
	}
	copy(p.Lookup("W1").Data, lp.W)
	copy(p.Lookup("b1").Data, lp.B)
	net, err := NewNet(NetConfig{Loss: CrossEntropy, Rows: 7, Grad: true}, lp)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	mlp, err := NewMLP(MLPConfig{Loss: CrossEntropy, Rows: 7, Grad: true, Train: true}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer mlp.Close()
	if err := net.Run(b.X, y, 0.1); err != nil {
		t.Fatal(err)
	}
	if err := mlp.Run(b.X, y, 0.1); err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(net.Cost() - mlp.Cost()); d > 1e-14 {
		t.Errorf("cost %v vs Net's %v", mlp.Cost(), net.Cost())
	}
	if e := maxRelErr(mlp.Grad(0), net.GradW(), 1e-12); e > 1e-13 {
		t.Errorf("∂W differs from Net's by %.2e", e)
	}
	if e := maxRelErr(mlp.Grad(1), net.GradB(), 1e-12); e > 1e-13 {
		t.Errorf("∂b differs from Net's by %.2e", e)
	}
}

// TestMLPDetectsWrongGradient: a hand gradient with a dropped 2λW term or
// a wrong BN term must fail the comparison the test above passes.
func TestMLPDetectsWrongGradient(t *testing.T) {
	a := Arch{In: 8, Out: 4, Hidden: []int{6, 5}, BatchNorm: true}
	p, b := randomMLP[float64](t, 11, a, "he", 10)
	gs, err := MLPGradients(p, b, GradCheckConfig{Loss: CrossEntropy, Lambda: 0.1, Method: Central})
	if err != nil {
		t.Fatal(err)
	}
	for i, tn := range p.Trained() {
		if tn.Kind != Weight {
			continue
		}
		for j := range gs.Analytic[i] {
			gs.Analytic[i][j] -= 2 * 0.1 * p.Trained()[i].Data[j]
		}
	}
	flagged := 0
	for i, c := range gs.Compare(1e-12) {
		if p.Trained()[i].Kind == Weight && c.AutoAnalytic > 1e-6 {
			flagged++
		}
	}
	if flagged != a.Layers() {
		t.Errorf("%d of %d weight gradients without 2λW flagged", flagged, a.Layers())
	}
}

// TestMLPEvaluationUsesRunningStats: the evaluation graph normalizes with
// the running averages, the training graph with the batch's statistics,
// and UpdateRunning moves the averages by α = BNMomentum.
func TestMLPEvaluationUsesRunningStats(t *testing.T) {
	a := Arch{In: 8, Out: 4, Hidden: []int{6}, BatchNorm: true}
	p, b := randomMLP[float64](t, 5, a, "he", 10)
	y := oneHot[float64](b.Labels, 4)
	train, err := NewMLP(MLPConfig{Loss: CrossEntropy, Rows: 10, Grad: true, Train: true}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer train.Close()
	eval, err := NewMLP(MLPConfig{Loss: CrossEntropy, Rows: 10}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	if err := train.Run(b.X, y, 0); err != nil {
		t.Fatal(err)
	}
	mu, v := train.BatchStats(0)
	fp := forwardMLP(p, b, true)
	if e := maxRelErr(mu, fp.mean[0], 1e-12); e > 1e-12 {
		t.Errorf("batch mean off by %.2e", e)
	}
	if e := maxRelErr(v, fp.vari[0], 1e-12); e > 1e-12 {
		t.Errorf("batch variance off by %.2e", e)
	}
	train.UpdateRunning()
	rm, rv := p.Lookup("mean1").Data, p.Lookup("var1").Data
	for c := range rm {
		if want := 0.1 * fp.mean[0][c]; math.Abs(rm[c]-want) > 1e-15 {
			t.Fatalf("running mean %v, want %v", rm[c], want)
		}
		if want := 0.9 + 0.1*fp.vari[0][c]; math.Abs(rv[c]-want) > 1e-15 {
			t.Fatalf("running variance %v, want %v", rv[c], want)
		}
	}
	if err := eval.Run(b.X, y, 0); err != nil {
		t.Fatal(err)
	}
	want := forwardMLP(p, b, false).scores
	if e := maxRelErr(eval.Scores(), want, 1e-12); e > 1e-12 {
		t.Errorf("evaluation scores off by %.2e from the running-average forward pass", e)
	}
	if e := maxRelErr(eval.Scores(), fp.scores, 1e-12); e < 1e-3 {
		t.Errorf("evaluation scores equal the training ones (%.2e): running averages unused", e)
	}
}

// TestMLPRunIsPure: a Run leaves every parameter tensor as it was.
func TestMLPRunIsPure(t *testing.T) {
	a := Arch{In: 8, Out: 4, Hidden: []int{6, 5}, BatchNorm: true}
	p, b := randomMLP[float32](t, 9, a, "he", 10)
	before := p.Clone()
	m, err := NewMLP(MLPConfig{Loss: SVM, Rows: 10, Grad: true, Train: true}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for range 3 {
		if err := m.Run(b.X, oneHot[float32](b.Labels, 4), 0.1); err != nil {
			t.Fatal(err)
		}
	}
	for i, ts := range p.Tensors {
		for j, v := range ts.Data {
			if v != before.Tensors[i].Data[j] {
				t.Fatalf("%s[%d] changed by a Run: %v → %v", ts.Name, j, before.Tensors[i].Data[j], v)
			}
		}
	}
}

func TestArchAndInit(t *testing.T) {
	for _, c := range []struct {
		a   Arch
		err bool
		s   string
	}{
		{Arch{In: 3072, Out: 10}, false, "3072-10"},
		{Arch{In: 3072, Out: 10, Hidden: []int{50, 50}, BatchNorm: true}, false, "3072-50-50-10 BN"},
		{Arch{In: 3072, Out: 10, BatchNorm: true}, true, ""},
		{Arch{In: 3072, Out: 10, Hidden: []int{0}}, true, ""},
		{Arch{In: 0, Out: 10}, true, ""},
	} {
		err := c.a.Check()
		if (err != nil) != c.err {
			t.Errorf("%+v: error %v, want error %v", c.a, err, c.err)
		}
		if err == nil && c.a.String() != c.s {
			t.Errorf("%+v: String %q, want %q", c.a, c.a.String(), c.s)
		}
	}
	for _, c := range []struct {
		s     string
		fanIn int
		sigma float64
		err   bool
	}{
		{"he", 50, math.Sqrt(2.0 / 50), false},
		{"xavier", 50, math.Sqrt(1.0 / 50), false},
		{"0.001", 50, 0.001, false},
		{"-1", 50, 0, true},
		{"nan", 50, 0, true},
		{"glorot", 50, 0, true},
	} {
		in, err := ParseInit(c.s)
		if (err != nil) != c.err {
			t.Errorf("ParseInit(%q): error %v, want error %v", c.s, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		if s, _ := in.Sigma(c.fanIn); s != c.sigma {
			t.Errorf("%s: σ %v, want %v", c.s, s, c.sigma)
		}
	}
}

func TestParseWidths(t *testing.T) {
	for _, c := range []struct {
		s    string
		want []int
		err  bool
	}{
		{"", nil, false}, {"50", []int{50}, false}, {"50, 30,20", []int{50, 30, 20}, false},
		{"50,", nil, true}, {"0", nil, true}, {"a", nil, true}, {"-5", nil, true},
	} {
		got, err := ParseWidths(c.s)
		if (err != nil) != c.err || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("ParseWidths(%q) = %v, %v; want %v, error %v", c.s, got, err, c.want, c.err)
		}
	}
}

// TestMLPReLUAtZero: where a unit's input is exactly 0 (here every unit of
// the second layer: W2 = 0, b2 = 0) the ReLU passes no gradient, as the
// course's Ind(s > 0): autodiff equals the hand-derived gradient.
func TestMLPReLUAtZero(t *testing.T) {
	a := Arch{In: 5, Out: 3, Hidden: []int{4, 4}}
	p, b := randomMLP[float64](t, 13, a, "he", 6)
	clear(p.Lookup("W2").Data)
	clear(p.Lookup("b2").Data)
	gs, err := MLPGradients(p, b, GradCheckConfig{Loss: CrossEntropy, Lambda: 0.1, H: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range gs.Compare(1e-12) {
		if c.AutoAnalytic > 1e-12 {
			t.Errorf("%s: autodiff and hand-derived differ by %.2e at the ReLU's kink", c.Name, c.AutoAnalytic)
		}
	}
}
