package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/engine"
)

// TestStackStepsOnHost trains a stack of mixed losses (three segments:
// cross, cross | svm | cross), each member with its own λ (0 among them)
// and rate schedule, one frozen after two steps, for two epochs of
// consecutive batches, issued as the CUDA stack engine issues a step
// (gather, labels repeated, the lowered program as planned, ‖W‖², costs
// and updates), all through kernels.cu on the CPU; then evaluates the
// trained members in blocks of rows (the correct counts added up over
// them) as its Evaluate does. It compares every step's costs, the final
// W and b of each member, the counters and the evaluations (loss, cost,
// correct count) with the CPU stack engine's: within 1e-12 relative in
// float64 and 1e-5 in float32 (the kernels' float32 functions are not
// Go's, nor their sums in the same order: 3e-7 here), the counts
// exactly. Fused and segmented as the engine runs by default, and
// neither.
func TestStackStepsOnHost(t *testing.T) {
	b64, b32 := buildHarness[float64](t), buildHarness[float32](t)
	for _, tuning := range []engine.Tuning{{}, {NoFuse: true, NoSegments: true}} {
		name := "fused"
		if tuning.NoFuse {
			name = "unfused"
		}
		t.Run(name+"/float64", func(t *testing.T) { stackSteps[float64](t, b64, tuning, 1e-12) })
		t.Run(name+"/float32", func(t *testing.T) { stackSteps[float32](t, b32, tuning, 1e-5) })
	}
}

func stackSteps[T graph.Float](t *testing.T, bin string, tuning engine.Tuning, tol float64) {
	const n, k, d, batch, epochs, evalRows = 60, 10, 8, 20, 2, 25
	X, C := graph.CrossEntropy, graph.SVM
	losses := []graph.Loss{X, X, C, X}
	lambdas := []float64{0, 0.1, 0.01, 0.5}
	const frozenMember, frozenFrom = 1, 2 // frozen before step 2 (0-based, over both epochs)
	m := len(losses)
	members := make([]engine.Member, m)
	for i := range members {
		members[i] = engine.Member{Loss: losses[i], Lambda: lambdas[i]}
	}
	eta := func(step, mb int) float64 { return 0.4 / float64(1+mb) * math.Pow(0.8, float64(step)) }
	s64 := synthHost(n, k, d, 7)
	split := &engine.Split[T]{Name: "train", X: fromF64[T](s64.X), Y: fromF64[T](s64.Y), Labels: s64.Labels}
	rng := rand.New(rand.NewPCG(8, 8))
	stacked := graph.NewParams[T](m*k, d)
	var ps []*graph.Params[T]
	for i := range m {
		p := graph.NewParams[T](k, d)
		p.InitGaussian(rng, 0.3)
		graph.Member(stacked, i, k).CopyFrom(p)
		ps = append(ps, p)
	}
	var reg engine.Registry
	reg.Register("cpu", models.CPUFactory())
	cpu, err := engine.NewStackFrom(&reg, ps, engine.StackSpec{Device: "cpu", Members: members, Batch: batch}, engine.Splits[T]{split})
	if err != nil {
		t.Fatal(err)
	}
	defer cpu.Close()

	prog := stackProgram(t, losses, k, batch, true, stacked, tuning)
	host := prog.HostValues(0)
	segs := stackSegs(prog)
	var in strings.Builder
	harnessInput(&in, prog, host, paramValues(segs, stacked, k))
	harnessBuf(&in, "xs", "real", hexList(split.X))
	harnessBuf(&in, "ys", "real", hexList(split.Y))
	for _, b := range [][2]string{{"etas", "f64"}, {"cur", "f64"}} {
		harnessBuf(&in, b[0], b[1], []string{"0"})
	}
	harnessBuf(&in, "yb", "real", make([]string, batch*k))
	harnessBuf(&in, "sq", "real", make([]string, m))
	harnessBuf(&in, "mcosts", "f64", make([]string, m))
	pre, post := StackStepLaunches(prog)
	plan := launchPlan(prog, host, tuning)
	steps := n / batch
	fac, etas, frozen := make([]float64, 4*m), make([]float64, m), make([]bool, m)
	var wantCosts [][]float64
	for g := 0; g < epochs*steps; g++ {
		s := g % steps
		if s == 0 { // the engine uploads the counters when a step does not follow the last one
			harnessBuf(&in, "ctr", "i64", []string{"0", "0"})
		}
		if g == frozenFrom {
			frozen[frozenMember] = true
			cpu.Freeze(frozenMember)
		}
		for mb := range etas {
			etas[mb] = eta(g, mb)
		}
		StackFactors(fac, members, etas, frozen)
		harnessBuf(&in, "fac", "f64", hexList(fac))
		for _, l := range pre {
			harnessLaunch(&in, l)
		}
		for _, l := range plan {
			harnessLaunch(&in, l)
		}
		for _, l := range post {
			harnessLaunch(&in, l)
		}
		fmt.Fprintf(&in, "R mcosts f64 %d\n", m)
		costs := make([]float64, m)
		if err := cpu.Step(engine.Batch[T]{Split: "train", Start: s * batch}, etas, costs); err != nil {
			t.Fatal(err)
		}
		wantCosts = append(wantCosts, costs)
	}
	for _, sg := range segs {
		fmt.Fprintf(&in, "O %d\nO %d\n", sg.w, sg.b)
	}
	fmt.Fprintf(&in, "R ctr i64 2\n")
	outs := runHarnessOrdered(t, bin, in.String())
	for g, want := range wantCosts {
		if got := take(t, &outs, "R mcosts"); !(maxRelDiff(got, want) <= tol) {
			t.Errorf("step %d: costs %v, CPU stack %v", g, got, want)
		}
	}
	cpuPs, err := cpu.Params()
	if err != nil {
		t.Fatal(err)
	}
	trained := graph.NewParams[T](m*k, d)
	for _, sg := range segs {
		copy(trained.W[sg.from*k*d:], fromF64[T](take(t, &outs, fmt.Sprint("O ", sg.w))))
		copy(trained.B[sg.from*k:], fromF64[T](take(t, &outs, fmt.Sprint("O ", sg.b))))
	}
	for mb := range m {
		got := graph.Member(trained, mb, k)
		if e := maxRelDiff(got.W, cpuPs[mb].W); !(e <= tol) {
			t.Errorf("member %d: W differs from the CPU stack's by %.3g", mb, e)
		}
		if e := maxRelDiff(got.B, cpuPs[mb].B); !(e <= tol) {
			t.Errorf("member %d: b differs from the CPU stack's by %.3g", mb, e)
		}
	}
	if got := take(t, &outs, "R ctr"); got[0] != n || got[1] != float64(steps) {
		t.Errorf("counters %v, want [%d %d]", got, n, steps)
	}

	// The evaluation, block by block as Evaluate runs it.
	sums, counts, sq := newStackEvalSums(m), make([]uint64, m), make([]T, m)
	for from := 0; from < n; from += evalRows {
		rows := min(evalRows, n-from)
		b := split.Rows(from, from+rows)
		eprog := stackProgram(t, losses, k, rows, false, trained, tuning)
		ehost := eprog.HostValues(0)
		esegs := stackSegs(eprog)
		in.Reset()
		vals := paramValues(esegs, trained, k)
		harnessInput(&in, eprog, ehost, func(s Slot) []float64 {
			if s.Role == InputX {
				return f64(b.X)
			}
			return vals(s)
		})
		harnessBuf(&in, "ys", "real", hexList(b.Y))
		harnessBuf(&in, "labels", "i32", intList(b.Labels))
		harnessBuf(&in, "counts", "u64", intList(counts))
		harnessBuf(&in, "sq", "real", make([]string, m))
		epre, epost := StackEvalLaunches(eprog)
		for _, l := range append(append(epre, launchPlan(eprog, ehost, tuning)...), epost...) {
			harnessLaunch(&in, l)
		}
		for _, l := range StackNormLaunches(eprog) {
			harnessLaunch(&in, l)
		}
		for _, sg := range esegs {
			fmt.Fprintf(&in, "O %d\n", sg.data.Slot)
		}
		fmt.Fprintf(&in, "R counts u64 %d\nR sq real %d\n", m, m)
		outs := runHarnessOrdered(t, bin, in.String())
		data := make([]float64, m)
		for _, sg := range esegs {
			v := take(t, &outs, fmt.Sprint("O ", sg.data.Slot))
			copy(data[sg.from:sg.from+sg.n], v[sg.data.Off:])
		}
		sums.add(data, rows)
		for i, c := range take(t, &outs, "R counts") {
			counts[i] = uint64(c)
		}
		copy(sq, fromF64[T](take(t, &outs, "R sq")))
	}
	got, want := make([]engine.Eval, m), make([]engine.Eval, m)
	stackEvals(got, sums, n, counts, sq, members)
	if err := cpu.Evaluate(split.Name, want); err != nil {
		t.Fatal(err)
	}
	for mb := range m {
		g, w := got[mb], want[mb]
		if g.Correct != w.Correct || g.N != w.N || !(relDiff(g.Loss, w.Loss) <= tol) || !(relDiff(g.Cost, w.Cost) <= tol) {
			t.Errorf("member %d: evaluation %+v, CPU stack %+v", mb, g, w)
		}
	}
}

func relDiff(a, b float64) float64 { return math.Abs(a-b) / math.Max(1, math.Abs(b)) }

func fromF64[T graph.Float](x []float64) []T {
	out := make([]T, len(x))
	for i, v := range x {
		out[i] = T(v)
	}
	return out
}

// stackProgram lowers the stack of losses over p (K = M·k) for rows rows
// as the CUDA stack engine does.
func stackProgram[T graph.Float](t *testing.T, losses []graph.Loss, k, rows int, grad bool, p *graph.Params[T], tuning engine.Tuning) *Program {
	t.Helper()
	s, err := graph.NewStack(graph.StackConfig{Losses: losses, Classes: k, Rows: rows, Grad: grad}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	prog, err := lowerStackForDevice(s, tuning)
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// paramValues gives each segment's W and b slot its rows of the stacked p.
func paramValues[T graph.Float](segs []stackSeg, p *graph.Params[T], k int) func(Slot) []float64 {
	kd := k * p.D
	return func(s Slot) []float64 {
		sg := segs[s.Seg]
		switch s.Role {
		case ParamW:
			return f64(p.W[sg.from*kd : (sg.from+sg.n)*kd])
		case ParamB:
			return f64(p.B[sg.from*k : (sg.from+sg.n)*k])
		}
		return nil
	}
}
