package cuda

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/graph"

	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/engine"
	"gorgonia.org/tensor"
)

// TestKernelsOnHost runs the launch plans of both loss graphs (fused and
// not) through kernels.cu compiled for the CPU (testdata/host_harness.cpp,
// one emulated thread at a time; gemms as cuBLAS reads GemmOf) and compares
// cost, scores, dW and db with Gorgonia's TapeMachine. It checks the kernels'
// logic, the argument order of every launch and the fused descriptors;
// what only a GPU checks is left: NVRTC, the driver, cuBLAS, real threads.
func TestKernelsOnHost(t *testing.T) {
	bins := map[string]string{"double": buildHarness[float64](t), "float": buildHarness[float32](t)}
	for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
		for _, sz := range [][3]int{{7, 10, 5}, {33, 10, 20}, {1, 10, 3}} {
			for _, mode := range []planMode{unfused, fused, segmented} {
				hostRun[float64](t, bins["double"], loss, sz, mode, 1e-12)
				hostRun[float32](t, bins["float"], loss, sz, mode, 1e-4)
			}
		}
	}
}

func hexf(x float64) string { return strconv.FormatFloat(x, 'x', -1, 64) }

// planMode says how a program is executed: instruction by instruction,
// fused, or fused and segmented.
type planMode int

const (
	unfused planMode = iota
	fused
	segmented
)

func (m planMode) String() string { return [...]string{"unfused", "fused", "segmented"}[m] }

func hostRun[T graph.Float](t *testing.T, bin string, loss graph.Loss, sz [3]int, mode planMode, tol float64) {
	t.Helper()
	rows, k, d := sz[0], sz[1], sz[2]
	net, p, x, y := testNet[T](t, loss, rows, k, d, true, uint64(rows*7+d))
	const lambda = 0.1
	if err := net.Run(x, y, lambda); err != nil {
		t.Fatal(err)
	}
	prog, err := LowerNet(net)
	if err != nil {
		t.Fatal(err)
	}
	if mode != unfused {
		prog = Fuse(prog)
	}
	host := prog.HostValues(lambda)
	var in strings.Builder
	harnessInput(&in, prog, host, func(s Slot) []float64 {
		switch s.Role {
		case InputX:
			return f64(x)
		case InputY:
			return f64(y)
		case ParamW:
			return f64(p.W)
		case ParamB:
			return f64(p.B)
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
	names := []string{"scores", "loss", "cost", "dW", "dB"}
	for _, n := range names {
		fmt.Fprintf(&in, "O %d\n", prog.Outputs[n].Slot)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = strings.NewReader(in.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("harness: %v\n%s", err, stderr.String())
	}
	slots := map[int][]float64{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		s, _ := strconv.Atoi(f[1])
		var vals []float64
		for _, v := range f[3:] {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("harness output %q: %v", v, err)
			}
			vals = append(vals, x)
		}
		slots[s] = vals
	}
	want := map[string][]float64{
		"scores": f64(net.Scores()), "loss": {net.Loss()}, "cost": {net.Cost()},
		"dW": f64(net.GradW()), "dB": f64(net.GradB()),
	}
	for _, n := range names {
		v := prog.Outputs[n]
		got := slots[v.Slot][v.Off : v.Off+v.Rows*v.Cols]
		if e := maxRelDiff(got, want[n]); !(e <= tol) {
			t.Errorf("%s %T %v %s: %s differs from the TapeMachine's by %.3g", loss, x[0], sz, mode, n, e)
		}
	}
}

func f64[T graph.Float](x []T) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// harnessInput writes the slots (with the values vals gives), the fused
// descriptors and nothing else.
func harnessInput(in *strings.Builder, prog *Program, host []float64, vals func(Slot) []float64) {
	fmt.Fprintf(in, "S %d\n", len(prog.Slots))
	for i, s := range prog.Slots {
		fmt.Fprintf(in, "L %d %d\n", i, s.Len)
		v := vals(s)
		if s.Role == Const {
			v = s.Init
		}
		if v != nil {
			fmt.Fprintf(in, "V %d %d", i, len(v))
			for _, x := range v {
				in.WriteString(" " + hexf(x))
			}
			in.WriteByte('\n')
		}
	}
	for i, ins := range prog.Instrs {
		if ins.Kind == Fused {
			writeDesc(in, i, FusedDesc(ins, host))
		}
	}
}

func harnessLaunch(in *strings.Builder, l Launch) {
	if g := l.Gemm; g != nil {
		b2i := map[bool]int{false: 0, true: 1}
		fmt.Fprintf(in, "G %d %d %d %d %d %d %d %d %d %d %d %d %d\n", b2i[g.TransA], b2i[g.TransB], g.M, g.N, g.K, g.A, g.OffA, g.LdA, g.B, g.OffB, g.LdB, g.C, g.LdC)
		return
	}
	if l.Desc != nil {
		writeDesc(in, ownDescKey, l.Desc)
	}
	fmt.Fprintf(in, "K %s %d %d %d %d", l.Kernel, l.Grid, l.Block, l.Shared, len(l.Args))
	for _, a := range l.Args {
		switch a.Kind {
		case ArgInt:
			fmt.Fprintf(in, " i:%d", a.Int)
		case ArgFloat:
			fmt.Fprintf(in, " f:%s", hexf(a.Float))
		case ArgSlot:
			fmt.Fprintf(in, " p:%d:%d", a.Slot, a.Off)
		case ArgNull:
			in.WriteString(" 0")
		case ArgDesc:
			fmt.Fprintf(in, " D:%d", a.Instr)
		case ArgTable:
			in.WriteString(" T")
		case ArgBuf:
			fmt.Fprintf(in, " B:%s", a.Name)
		case ArgOwn:
			fmt.Fprintf(in, " D:%d", ownDescKey)
		}
	}
	in.WriteByte('\n')
}

// ownDescKey is the harness's descriptor number for a launch's own
// descriptor, written again before each such launch.
const ownDescKey = 1 << 40

func writeDesc(in *strings.Builder, key int, desc []int64) {
	fmt.Fprintf(in, "D %d %d", key, len(desc))
	for _, w := range desc {
		fmt.Fprintf(in, " %d", w)
	}
	in.WriteByte('\n')
}

func harnessBuf(in *strings.Builder, name, typ string, vals []string) {
	fmt.Fprintf(in, "B %s %s %d %s\n", name, typ, len(vals), strings.Join(vals, " "))
}

func runHarness(t *testing.T, bin, input string) map[string][]float64 {
	t.Helper()
	res := map[string][]float64{}
	for _, o := range runHarnessOrdered(t, bin, input) {
		res[o.key] = o.vals // a key printed again: its last values
	}
	return res
}

// TestTrainingStepsOnHost runs an epoch as TrainEpoch issues it (gather
// through a shuffled order with a rate per step, the fused program, sgd)
// and an evaluation with the correct-count kernel, all through kernels.cu
// on the CPU, and compares the costs, W, b, the counters and the count
// with the CPU engine.
func TestTrainingStepsOnHost(t *testing.T) {
	bin := buildHarness[float64](t)
	const n, k, d, batch, lambda = 60, 10, 8, 20, 0.1
	for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
		split := synthHost(n, k, d, 3)
		p0 := graph.NewParams[float64](k, d)
		p0.InitGaussian(rand.New(rand.NewPCG(4, 4)), 0.3)
		order := rand.New(rand.NewPCG(5, 5)).Perm(n)
		steps := n / batch
		etas := []float64{0.5, 0.25, 0.125}

		prog := fusedProgram(t, graph.NetConfig{Loss: loss, Rows: batch, Grad: true}, p0.Clone())
		host := prog.HostValues(lambda)
		var in strings.Builder
		harnessInput(&in, prog, host, func(s Slot) []float64 {
			switch s.Role {
			case ParamW:
				return p0.W
			case ParamB:
				return p0.B
			}
			return nil
		})
		hexs := func(x []float64) []string {
			var out []string
			for _, v := range x {
				out = append(out, hexf(v))
			}
			return out
		}
		ints := func(x []int) []string {
			var out []string
			for _, v := range x {
				out = append(out, strconv.Itoa(v))
			}
			return out
		}
		harnessBuf(&in, "xs", "f64", hexs(split.X))
		harnessBuf(&in, "ys", "f64", hexs(split.Y))
		harnessBuf(&in, "idx", "i32", ints(order))
		harnessBuf(&in, "ctr", "i64", []string{"0", "0"})
		harnessBuf(&in, "etas", "f64", hexs(etas))
		harnessBuf(&in, "cur", "f64", []string{"0"})
		harnessBuf(&in, "costs", "f64", make([]string, steps))
		gather, sgd := StepLaunches(prog, true, true)
		plan := Segment(prog, host, Plan(prog, host)) // as the engine runs it
		for s := 0; s < steps; s++ {
			harnessLaunch(&in, gather)
			for _, l := range plan {
				harnessLaunch(&in, l)
			}
			harnessLaunch(&in, sgd)
		}
		fmt.Fprintf(&in, "O %d\nO %d\nR costs f64 %d\nR ctr i64 2\n", slotOf(prog, ParamW), slotOf(prog, ParamB), steps)
		res := runHarness(t, bin, in.String())

		cpu, err := models.NewCPUEngine(p0.Clone(), loss, lambda, batch, split)
		if err != nil {
			t.Fatal(err)
		}
		xb, yb := make([]float64, batch*d), make([]float64, batch*k)
		var costs []float64
		for s := 0; s < steps; s++ {
			for i, r := range order[s*batch : (s+1)*batch] {
				copy(xb[i*d:(i+1)*d], split.X[r*d:(r+1)*d])
				copy(yb[i*k:(i+1)*k], split.Y[r*k:(r+1)*k])
			}
			c, err := cpu.Step(engine.Batch[float64]{X: xb, Y: yb}, etas[s])
			if err != nil {
				t.Fatal(err)
			}
			costs = append(costs, c)
		}
		pc, _ := cpu.Params()
		if e := maxRelDiff(res["R costs"], costs); e > 1e-12 {
			t.Errorf("%s: step costs %v, CPU engine %v", loss, res["R costs"], costs)
		}
		if e := maxRelDiff(res[fmt.Sprintf("O %d", slotOf(prog, ParamW))], pc.W); e > 1e-12 {
			t.Errorf("%s: W differs from the CPU engine's by %.3g", loss, e)
		}
		if e := maxRelDiff(res[fmt.Sprintf("O %d", slotOf(prog, ParamB))], pc.B); e > 1e-12 {
			t.Errorf("%s: b differs from the CPU engine's by %.3g", loss, e)
		}
		if got := res["R ctr"]; len(got) != 2 || got[0] != n || got[1] != float64(steps) {
			t.Errorf("%s: counters %v, want [%d %d]", loss, got, n, steps)
		}

		// Evaluation of the trained parameters with the correct count.
		eprog := fusedProgram(t, graph.NetConfig{Loss: loss, Rows: n}, pc)
		ehost := eprog.HostValues(lambda)
		in.Reset()
		harnessInput(&in, eprog, ehost, func(s Slot) []float64 {
			switch s.Role {
			case InputX:
				return split.X
			case InputY:
				return split.Y
			case ParamW:
				return pc.W
			case ParamB:
				return pc.B
			}
			return nil
		})
		labels := make([]int, n)
		for i, l := range split.Labels {
			labels[i] = int(l)
		}
		harnessBuf(&in, "labels", "i32", ints(labels))
		harnessBuf(&in, "count", "u64", []string{"0"})
		for _, l := range Segment(eprog, ehost, Plan(eprog, ehost)) {
			harnessLaunch(&in, l)
		}
		harnessLaunch(&in, CorrectLaunch(eprog))
		fmt.Fprintf(&in, "O %d\nR count u64 1\n", eprog.Outputs["cost"].Slot)
		res = runHarness(t, bin, in.String())
		want, err := cpu.Evaluate(split.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got := res["R count"]; len(got) != 1 || int(got[0]) != want.Correct {
			t.Errorf("%s: correct count %v, CPU engine %d", loss, got, want.Correct)
		}
		cv := eprog.Outputs["cost"]
		if got := res[fmt.Sprintf("O %d", cv.Slot)][cv.Off]; math.Abs(got-want.Cost) > 1e-12*math.Max(1, want.Cost) {
			t.Errorf("%s: evaluation cost %v, CPU engine %v", loss, got, want.Cost)
		}
		cpu.Close()
	}
}

func synthHost(n, k, d int, seed uint64) *engine.Split[float64] {
	rng := rand.New(rand.NewPCG(seed, 11))
	s := &engine.Split[float64]{Name: "train", X: make([]float64, n*d), Y: make([]float64, n*k), Labels: make([]uint8, n)}
	for i := range s.Labels {
		c := rng.IntN(k)
		s.Labels[i] = uint8(c)
		for j := 0; j < d; j++ {
			s.X[i*d+j] = rng.NormFloat64()
			if j%k == c {
				s.X[i*d+j] += 1
			}
		}
	}
	graph.OneHot(s.Y, s.Labels, k)
	return s
}

// realName is kernels.cu's REAL for T.
func realName[T graph.Float]() string {
	if graph.Dtype[T]() == tensor.Float32 {
		return "float"
	}
	return "double"
}

// buildHarness compiles testdata/host_harness.cpp for T (contractions
// off: the kernels' arithmetic rounded op by op, as NVRTC's with the
// rounded intrinsics).
func buildHarness[T graph.Float](t *testing.T) string {
	t.Helper()
	gxx := lookGXX(t, "the kernels are run on the GPU only")
	real := realName[T]()
	isf := map[string]string{"float": "1", "double": "0"}[real]
	bin := filepath.Join(t.TempDir(), "harness_"+real)
	out, err := exec.Command(gxx, "-O1", "-std=c++17", "-pthread", "-ffp-contract=off", "-include", "testdata/cuda_shim.h",
		"-DREAL="+real, "-DREAL_IS_FLOAT="+isf, "-o", bin, "testdata/host_harness.cpp").CombinedOutput()
	if err != nil {
		t.Fatalf("building the harness (%s): %v\n%s", real, err, out)
	}
	return bin
}

// harnessOut is one line the harness printed: "O slot" or "R name" and
// the values, in the order printed.
type harnessOut struct {
	key  string
	vals []float64
}

func runHarnessOrdered(t *testing.T, bin, input string) []harnessOut {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Stdin = strings.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("harness: %v\n%s", err, stderr.String())
	}
	var res []harnessOut
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		o := harnessOut{key: f[0] + " " + f[1]}
		for _, v := range f[3:] {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("harness output %q: %v", v, err)
			}
			o.vals = append(o.vals, x)
		}
		res = append(res, o)
	}
	return res
}

// take returns the values of the first output of key not taken yet.
func take(t *testing.T, outs *[]harnessOut, key string) []float64 {
	t.Helper()
	for i, o := range *outs {
		if o.key == key {
			*outs = append((*outs)[:i:i], (*outs)[i+1:]...)
			return o.vals
		}
	}
	t.Fatalf("the harness printed no (more) %q", key)
	return nil
}

func hexList[T graph.Float](x []T) []string {
	out := make([]string, len(x))
	for i, v := range x {
		out[i] = hexf(float64(v))
	}
	return out
}

func intList[I int | int32 | uint8 | uint64 | int64](x []I) []string {
	out := make([]string, len(x))
	for i, v := range x {
		out[i] = strconv.FormatInt(int64(v), 10)
	}
	return out
}

// setSlot writes a slot's values.
func setSlot[T graph.Float](in *strings.Builder, slot int, v []T) {
	fmt.Fprintf(in, "V %d %d %s\n", slot, len(v), strings.Join(hexList(v), " "))
}
