package cuda

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gtrain/gtrain/graph"
)

// mlpCase is a k-layer net of hidden widths (ReLU between layers, batch
// normalization when bn) on rows samples of In inputs and Out classes.
type mlpCase struct {
	hidden []int
	bn     bool
	rows   int
}

func (c mlpCase) arch() graph.Arch {
	return graph.Arch{In: 5, Out: 4, Hidden: c.hidden, BatchNorm: c.bn}
}

// mlpCases: the linear net, 2-, 3- and 4-layer nets with and without batch
// normalization, a batch of one (its variance is 0: the scores are β's)
// and a wider 3-layer net on a batch of 100.
var mlpCases = []mlpCase{
	{nil, false, 9},
	{[]int{6}, false, 9}, {[]int{6}, true, 9},
	{[]int{6, 5}, false, 9}, {[]int{6, 5}, true, 9},
	{[]int{6, 5, 3}, false, 9}, {[]int{6, 5, 3}, true, 9},
	{[]int{6, 5}, false, 1}, {[]int{6, 5}, true, 1},
	{[]int{50, 30}, true, 100},
}

// mlpGraphs are the MLP configurations lowered: the training graph (batch
// statistics, gradients), the evaluation graph (running statistics) and
// the training forward pass alone.
var mlpGraphs = []struct {
	name        string
	grad, train bool
}{{"train", true, true}, {"eval", false, false}, {"train-forward", false, true}}

// randomMLPProblem returns c's parameters (He weights; b, γ, β, the running
// means and variances drawn around their initial values, so that no term
// is that of an initial value only), a batch and its one-hot labels.
func randomMLPProblem[T graph.Float](t testing.TB, c mlpCase, seed uint64) (*graph.MLPParams[T], []T, []T) {
	t.Helper()
	a := c.arch()
	p, err := graph.NewMLPParams[T](a)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 17))
	if err := p.Init(rng, "he"); err != nil {
		t.Fatal(err)
	}
	for i := range p.Tensors {
		ts := &p.Tensors[i]
		for j := range ts.Data {
			switch ts.Kind {
			case graph.BNScale:
				ts.Data[j] = T(1 + 0.2*rng.NormFloat64())
			case graph.Bias, graph.BNShift, graph.RunningMean:
				ts.Data[j] = T(0.3 * rng.NormFloat64())
			case graph.RunningVar:
				ts.Data[j] = T(0.5 + rng.Float64())
			}
		}
	}
	x := make([]T, c.rows*a.In)
	for i := range x {
		x[i] = T(rng.NormFloat64())
	}
	labels := make([]uint8, c.rows)
	for i := range labels {
		labels[i] = uint8(rng.IntN(a.Out))
	}
	y := make([]T, c.rows*a.Out)
	graph.OneHot(y, labels, a.Out)
	return p, x, y
}

// testMLP builds the MLP of cfg over p, closed with the test.
func testMLP[T graph.Float](t testing.TB, cfg graph.MLPConfig, p *graph.MLPParams[T]) *graph.MLP[T] {
	t.Helper()
	m, err := graph.NewMLP(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// mlpOutput is one output of a lowered MLP and the TapeMachine's values.
type mlpOutput[T graph.Float] struct {
	name string
	want []T
}

// mlpWant lists every output the lowered program of m must have, with the
// values of m's last Run.
func mlpWant[T graph.Float](m *graph.MLP[T], p *graph.MLPParams[T], grad, train bool) []mlpOutput[T] {
	outs := []mlpOutput[T]{{"scores", m.Scores()}, {"loss", []T{T(m.Loss())}}, {"cost", []T{T(m.Cost())}}}
	if grad {
		for i, ts := range p.Trained() {
			outs = append(outs, mlpOutput[T]{"d" + ts.Name, m.Grad(i)})
		}
	}
	for l := 0; l < p.Arch.Layers(); l++ {
		if train && p.Arch.Normalized(l) {
			mu, v := m.BatchStats(l)
			n := strconv.Itoa(l + 1)
			outs = append(outs, mlpOutput[T]{"batchmean" + n, mu}, mlpOutput[T]{"batchvar" + n, v})
		}
	}
	return outs
}

// TestMLPRefMatchesTapeMachine runs the training, evaluation and training-
// forward graphs of 2-, 3- and 4-layer nets, with and without batch
// normalization, of both losses, through the lowered program (fused and
// not) on the reference backend and through the TapeMachine, and compares
// every output: scores, loss, cost, the gradient of every trained tensor
// and every normalized layer's batch mean and variance. The difference is
// the largest one relative to the output's largest value: within 1e-12 in
// float64 (measured here: at most 7.6e-16) and 1e-5 in float32 (measured:
// at most 4.9e-7; the reference evaluates each function in float64 and
// rounds, and sums in its own order).
func TestMLPRefMatchesTapeMachine(t *testing.T) {
	worst := map[string]float64{}
	for i, c := range mlpCases {
		for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
			for _, gc := range mlpGraphs {
				if gc.grad && !gc.train && c.bn || !gc.grad && gc.train && !c.bn {
					continue // no such graph; the same as the training graph
				}
				for _, fuse := range []bool{false, true} {
					name := fmt.Sprintf("%s/rows=%d/%s/%s/fuse=%v", c.arch(), c.rows, loss, gc.name, fuse)
					cfg := graph.MLPConfig{Loss: loss, Rows: c.rows, Grad: gc.grad, Train: gc.train}
					seed := uint64(i)
					t.Run(name+"/float64", func(t *testing.T) {
						worst["float64"] = max(worst["float64"], checkMLP[float64](t, c, cfg, fuse, seed, 1e-12))
					})
					t.Run(name+"/float32", func(t *testing.T) {
						worst["float32"] = max(worst["float32"], checkMLP[float32](t, c, cfg, fuse, seed, 1e-5))
					})
				}
			}
		}
	}
	t.Logf("largest relative difference: float64 %.3g, float32 %.3g", worst["float64"], worst["float32"])
}

// mlpLambda is the λ of the lowering tests' runs.
const mlpLambda = 0.1

// loweredMLP draws c's problem from seed, runs its MLP of cfg on the
// TapeMachine (λ = mlpLambda) and lowers it, fused when fuse.
func loweredMLP[T graph.Float](t *testing.T, c mlpCase, cfg graph.MLPConfig, fuse bool, seed uint64) (*graph.MLPParams[T], []T, []T, *graph.MLP[T], *Program) {
	t.Helper()
	p, x, y := randomMLPProblem[T](t, c, seed)
	m := testMLP(t, cfg, p)
	if err := m.Run(x, y, mlpLambda); err != nil {
		t.Fatal(err)
	}
	prog, err := LowerMLP(m, p)
	if err != nil {
		t.Fatal(err)
	}
	if fuse {
		prog = Fuse(prog)
	}
	return p, x, y, m, prog
}

// checkMLP compares the lowered program of c's MLP of cfg on the reference
// backend with the TapeMachine and returns the largest difference.
func checkMLP[T graph.Float](t *testing.T, c mlpCase, cfg graph.MLPConfig, fuse bool, seed uint64, tol float64) float64 {
	p, x, y, m, prog := loweredMLP[T](t, c, cfg, fuse, seed)
	if a := p.Arch; prog.Rows != c.rows || prog.D != a.In || prog.K != a.Out {
		t.Fatalf("program of %d×%d, K=%d; want %d×%d, K=%d", prog.Rows, prog.D, prog.K, c.rows, a.In, a.Out)
	}
	r := bindMLP(t, prog, p, x, y, mlpLambda)
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	want := mlpWant(m, p, cfg.Grad, cfg.Train)
	if len(prog.Outputs) != len(want) {
		t.Errorf("%d outputs, want %d:\n%s", len(prog.Outputs), len(want), prog.Dump())
	}
	var worst float64
	for _, o := range want {
		got := r.Output(o.name)
		if len(got) != len(o.want) {
			t.Errorf("%s: %d values, want %d", o.name, len(got), len(o.want))
			continue
		}
		e := maxRelDiff(got, o.want)
		if !(e <= tol) {
			t.Errorf("%s: max relative difference %.3g > %g", o.name, e, tol)
		}
		worst = max(worst, e)
	}
	return worst
}

// bindMLP prepares prog on the reference backend with X, Y and every
// parameter tensor the program has a slot for, which must be those the
// graph reads: all of p's trained tensors, and the running statistics in
// an evaluation graph.
func bindMLP[T graph.Float](t *testing.T, prog *Program, p *graph.MLPParams[T], x, y []T, lambda float64) *Ref[T] {
	t.Helper()
	r, err := NewRef[T](prog, lambda)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Bind(InputX, x); err != nil {
		t.Fatal(err)
	}
	if err := r.Bind(InputY, y); err != nil {
		t.Fatal(err)
	}
	for _, s := range prog.Slots {
		if s.Role == Param {
			ts := p.Lookup(s.Name)
			if ts == nil {
				t.Fatalf("parameter slot %s is none of the net's tensors", s.Name)
			}
			if err := r.BindParam(s.Name, ts.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	return r
}

// TestMLPParamSlots: a training graph has a slot per trained tensor (no
// running statistics), an evaluation graph of a normalized net one per
// tensor; each is named as its tensor and has its size.
func TestMLPParamSlots(t *testing.T) {
	for _, c := range []mlpCase{{[]int{6, 5}, false, 4}, {[]int{6, 5}, true, 4}} {
		for _, train := range []bool{true, false} {
			p, _, _ := randomMLPProblem[float64](t, c, 1)
			m := testMLP(t, graph.MLPConfig{Loss: graph.SVM, Rows: c.rows, Grad: train, Train: train}, p)
			prog, err := LowerMLP(m, p)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, s := range prog.Slots {
				if s.Role == Param {
					got = append(got, fmt.Sprintf("%s:%d", s.Name, s.Len))
				}
			}
			for _, ts := range p.Tensors {
				if !train || ts.Kind.Trained() {
					want = append(want, fmt.Sprintf("%s:%d", ts.Name, len(ts.Data)))
				}
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s train=%v: parameter slots %v, want %v", c.arch(), train, got, want)
			}
		}
	}
}

// The op inventory of the training graph of a 3-layer batch-normalized net
// (rows 9, widths 5-6-5-4) per loss. A change in Gorgonia or in
// graph/mlp.go that changes it fails here: check that the lowering handles
// every new kind (TestMLPRefMatchesTapeMachine proves it), then re-pin.
var wantMLPOps = map[graph.Loss]string{
	graph.CrossEntropy: "constantScalar×4, constantTensor×1, elemBinOp +×17, elemBinOp -×4, elemBinOp >×2, elemBinOp ÷×13, elemBinOp ⊙×35, elemUnaryOp inv×2, elemUnaryOp ln×1, elemUnaryOp neg×6, elemUnaryOp sqrt×2, elemUnaryOp square×2, graph.expOp×1, graph.rowMaxGradOp×1, graph.rowMaxOp×1, graph.rowSumOp×2, graph.spreadOp×3, graph.sumSquaresOp×3, input×11, linAlgBinOp A × B×1, linAlgBinOp A ××× B×2, linAlgBinOp A ××× Bᵀ×3, linAlgBinOp Aᵀ × B×1, linAlgBinOp Aᵀ ××× B×3, repeatOp×13, reshapeOp×51, sizeOp×11, sumOp×14",
	graph.SVM:          "constantScalar×4, constantTensor×1, elemBinOp +×17, elemBinOp -×4, elemBinOp >=×1, elemBinOp >×2, elemBinOp ÷×12, elemBinOp ⊙×38, elemUnaryOp inv×2, elemUnaryOp neg×5, elemUnaryOp sqrt×2, elemUnaryOp square×2, graph.rowSumOp×2, graph.spreadOp×3, graph.sumSquaresOp×3, input×11, linAlgBinOp A × B×1, linAlgBinOp A ××× B×2, linAlgBinOp A ××× Bᵀ×3, linAlgBinOp Aᵀ × B×1, linAlgBinOp Aᵀ ××× B×3, repeatOp×13, reshapeOp×51, sizeOp×11, sumOp×14",
}

func TestMLPOpInventory(t *testing.T) {
	c := mlpCase{[]int{6, 5}, true, 9}
	for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
		p, _, _ := randomMLPProblem[float64](t, c, 1)
		m := testMLP(t, graph.MLPConfig{Loss: loss, Rows: c.rows, Grad: true, Train: true}, p)
		prog, err := LowerMLP(m, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := prog.Summary(); got != wantMLPOps[loss] {
			t.Errorf("%s: op inventory changed:\n got %s\nwant %s", loss, got, wantMLPOps[loss])
		}
	}
}

// TestMLPProgramShape: the per-layer products are gemms on views (no
// copies: the reshapes, transposes and the batch-norm broadcasts along
// the batch alias), one per layer forward and, with gradients, two more
// per layer but the first (∂W_l and the gradient into the layer below);
// the biases' ones·b and their gradients are broadcasts and reductions.
// Nothing is computed on the device from host scalars alone.
func TestMLPProgramShape(t *testing.T) {
	for _, c := range mlpCases {
		for _, gc := range mlpGraphs {
			if gc.grad && !gc.train && c.bn {
				continue
			}
			p, _, _ := randomMLPProblem[float32](t, c, 1)
			m := testMLP(t, graph.MLPConfig{Loss: graph.CrossEntropy, Rows: c.rows, Grad: gc.grad, Train: gc.train}, p)
			prog, err := LowerMLP(m, p)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[Kind]int{}
			for _, in := range prog.Instrs {
				kinds[in.Kind]++
				host := true
				for _, v := range in.In {
					host = host && v.IsHost()
				}
				if host {
					t.Errorf("%s %s: %v computes host values on the device", c.arch(), gc.name, in)
				}
			}
			layers := p.Arch.Layers()
			want := layers
			if gc.grad {
				want = 3*layers - 1
			}
			if kinds[Copy] != 0 || kinds[MatMul] != want {
				t.Errorf("%s rows=%d %s: %d copies, %d matrix products (want 0, %d):\n%s", c.arch(), c.rows, gc.name, kinds[Copy], kinds[MatMul], want, prog.Dump())
			}
		}
	}
}

// TestLowerMLPOtherParams: lowering an MLP with parameters of another
// architecture fails, naming the missing tensor.
func TestLowerMLPOtherParams(t *testing.T) {
	p, _, _ := randomMLPProblem[float64](t, mlpCase{[]int{6}, false, 3}, 1)
	m := testMLP(t, graph.MLPConfig{Loss: graph.SVM, Rows: 3, Grad: true, Train: true}, p)
	q, _, _ := randomMLPProblem[float64](t, mlpCase{[]int{6}, true, 3}, 1)
	_, err := LowerMLP(m, q)
	if err == nil || !strings.Contains(err.Error(), "gamma1") {
		t.Errorf("lowering with another net's parameters: %v, want an error naming gamma1", err)
	}
}

// TestMLPKernelsOnHost runs the launch plans of k-layer programs
// (unfused, fused; segmented for the 3-layer normalized net) through
// kernels.cu compiled for the CPU, as
// TestKernelsOnHost does for the linear net, and compares every output
// with the TapeMachine: within 1e-12 in float64 and 1e-4 in float32
// (measured: at most 2.7e-15 and 1.9e-6).
func TestMLPKernelsOnHost(t *testing.T) {
	bins := map[string]string{"double": buildHarness[float64](t), "float": buildHarness[float32](t)}
	worst := map[string]float64{}
	cases := []mlpCase{{[]int{6}, false, 9}, {[]int{6, 5}, true, 9}, {[]int{6, 5, 3}, true, 9}, {[]int{50, 30}, true, 100}}
	for i, c := range cases {
		for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
			for _, gc := range mlpGraphs {
				if gc.grad && !gc.train && c.bn || !gc.grad && gc.train && !c.bn {
					continue
				}
				cfg := graph.MLPConfig{Loss: loss, Rows: c.rows, Grad: gc.grad, Train: gc.train}
				modes := []planMode{unfused, fused}
				if c.bn && len(c.hidden) == 2 && c.rows == 9 {
					// The harness emulates a segment's 1024 threads and
					// their barriers: seconds a run; one net is enough.
					modes = append(modes, segmented)
				}
				for _, mode := range modes {
					name := fmt.Sprintf("%s/rows=%d/%s/%s/%s", c.arch(), c.rows, loss, gc.name, mode)
					seed := uint64(i + 40)
					t.Run(name+"/float64", func(t *testing.T) {
						worst["double"] = max(worst["double"], hostRunMLP[float64](t, bins["double"], c, cfg, mode, seed, 1e-12))
					})
					t.Run(name+"/float32", func(t *testing.T) {
						worst["float"] = max(worst["float"], hostRunMLP[float32](t, bins["float"], c, cfg, mode, seed, 1e-4))
					})
				}
			}
		}
	}
	t.Logf("largest relative difference: float64 %.3g, float32 %.3g", worst["double"], worst["float"])
}

// hostRunMLP runs c's MLP of cfg once through the harness and returns the
// largest difference of its outputs from the TapeMachine's.
func hostRunMLP[T graph.Float](t *testing.T, bin string, c mlpCase, cfg graph.MLPConfig, mode planMode, seed uint64, tol float64) float64 {
	p, x, y, m, prog := loweredMLP[T](t, c, cfg, mode != unfused, seed)
	host := prog.HostValues(mlpLambda)
	var in strings.Builder
	harnessInput(&in, prog, host, func(s Slot) []float64 {
		switch s.Role {
		case InputX:
			return f64(x)
		case InputY:
			return f64(y)
		case Param:
			return f64(p.Lookup(s.Name).Data)
		}
		return nil
	})
	plan := Plan(prog, host)
	if mode == segmented {
		plan = Segment(prog, host, plan)
	}
	for _, l := range plan {
		harnessLaunch(&in, l)
	}
	want := mlpWant(m, p, cfg.Grad, cfg.Train)
	for _, o := range want {
		fmt.Fprintf(&in, "O %d\n", prog.Outputs[o.name].Slot)
	}
	res := runHarness(t, bin, in.String())
	var worst float64
	for _, o := range want {
		v := prog.Outputs[o.name]
		got := res[fmt.Sprintf("O %d", v.Slot)][v.Off : v.Off+v.Rows*v.Cols]
		e := maxRelDiff(got, f64(o.want))
		if !(e <= tol) {
			t.Errorf("%s differs from the TapeMachine's by %.3g", o.name, e)
		}
		worst = max(worst, e)
	}
	return worst
}

// TestNamedParamErrors: named parameters do not mix with a lone graph's W
// and b, and are bound by name only.
func TestNamedParamErrors(t *testing.T) {
	p, _, _ := randomMLPProblem[float64](t, mlpCase{[]int{6}, false, 3}, 1)
	m := testMLP(t, graph.MLPConfig{Loss: graph.SVM, Rows: 3, Grad: true, Train: true}, p)
	prog, err := LowerMLP(m, p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRef[float64](prog, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"Bind(Param)", r.Bind(Param, make([]float64, 30)), "by name"},
		{"BindParam of no slot", r.BindParam("W3", make([]float64, 30)), "no parameter W3"},
		{"BindParam of a wrong size", r.BindParam("W1", make([]float64, 29)), "want 30"},
		{"Run unbound", r.Run(), "not bound"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, c.err, c.want)
		}
	}
	in := Inputs{Graph: m.Graph(), X: m.Graph().ByName("X")[0], Y: m.Graph().ByName("Y")[0], W: m.Graph().ByName("W1")[0],
		Params: map[string]*G.Node{"W2": m.Graph().ByName("W2")[0]}}
	if _, err := Lower(in, tensor.Float64); err == nil || !strings.Contains(err.Error(), "named parameters with W") {
		t.Errorf("lowering named parameters with W: %v", err)
	}
}
