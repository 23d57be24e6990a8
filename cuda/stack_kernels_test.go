package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// synthStackProgram is a program of a stack's slots and outputs only (no
// instructions), for the stack kernels alone: segments of members[i]
// members of k classes over rows×d inputs.
func synthStackProgram[T graph.Float](rows, k, d int, members []int) *Program {
	p := &Program{Dtype: graph.Dtype[T](), Rows: rows, K: k, D: d, Members: members, Outputs: map[string]View{}}
	slot := func(role SlotRole, n, seg int, name string) int {
		p.Slots = append(p.Slots, Slot{Role: role, Len: n, Seg: seg, Name: name})
		return len(p.Slots) - 1
	}
	out := func(name string, s, n int) {
		p.Outputs[name] = View{Slot: s, Host: -1, Rows: 1, Cols: n, RS: n, CS: 1}
	}
	slot(InputX, rows*d, 0, "X")
	for i, n := range members {
		slot(InputY, rows*n*k, i, fmt.Sprint("Y", i))
		slot(ParamW, n*k*d, i, fmt.Sprint("W", i))
		slot(ParamB, n*k, i, fmt.Sprint("b", i))
		out(fmt.Sprint("dW", i), slot(Temp, n*k*d, 0, "dW"), n*k*d)
		out(fmt.Sprint("dB", i), slot(Temp, n*k, 0, "dB"), n*k)
		out(fmt.Sprint("data", i), slot(Temp, n, 0, "data"), n)
		out(fmt.Sprint("scores", i), slot(Temp, rows*n*k, 0, "scores"), rows*n*k)
	}
	return p
}

// stackKernelCase is a stack for the kernel tests: segments of
// segs[i] members, each member's λ, η and whether it is frozen.
type stackKernelCase struct {
	name          string
	segs          []int
	rows, k, d    int
	lambdas, etas []float64
	frozen        []bool
}

var stackKernelCases = []stackKernelCase{
	{"one member", []int{1}, 2, 3, 2, []float64{0.1}, []float64{0.05}, []bool{false}},
	{"two segments, frozen members", []int{2, 3}, 5, 10, 7,
		[]float64{0, 0.1, 0.5, 0, 0.01}, []float64{0.5, 0.01, 0.1, 0.2, 0.3}, []bool{false, true, false, false, true}},
	{"W longer than a block", []int{3}, 4, 10, 100, []float64{1e-3, 0, 0.2}, []float64{0.01, 0.02, 0.03}, []bool{false, false, false}},
}

// TestStackKernelsOnHost runs the stack kernels (repeat_rows after the
// lone gather, sqnorm, stack_sgd, stack_correct) through kernels.cu
// compiled for the CPU, as StackStepLaunches and StackEvalLaunches issue
// them over a program's slots, and compares them with plain Go: the
// gathered and repeated labels, the counters and the correct counts
// exactly; the updated W and b exactly (both round each product and sum
// in T), a frozen member's bit for bit though its gradients are NaN; ‖W‖²
// and the costs (the kernel sums by a tree) within 1e-12 relative in
// float64 and 1e-5 in float32.
func TestStackKernelsOnHost(t *testing.T) {
	b64, b32 := buildHarness[float64](t), buildHarness[float32](t)
	for _, c := range stackKernelCases {
		t.Run(c.name+"/float64", func(t *testing.T) { stackKernels[float64](t, b64, c, 1e-12) })
		t.Run(c.name+"/float32", func(t *testing.T) { stackKernels[float32](t, b32, c, 1e-5) })
	}
}

func stackKernels[T graph.Float](t *testing.T, bin string, c stackKernelCase, tol float64) {
	rng := rand.New(rand.NewPCG(uint64(len(c.etas)), 3))
	rnd := func(n int) []T {
		v := make([]T, n)
		for i := range v {
			v[i] = T(rng.NormFloat64())
		}
		return v
	}
	m, k, d, rows := len(c.etas), c.k, c.d, c.rows
	p := synthStackProgram[T](rows, k, d, c.segs)
	segs := stackSegs(p)
	const n, start = 11, 3 // the split's rows; the batch's first
	split := &engine.Split[T]{X: rnd(n * d), Y: make([]T, n*k), Labels: make([]uint8, n)}
	for i := range split.Labels {
		split.Labels[i] = uint8(rng.IntN(k))
	}
	graph.OneHot(split.Y, split.Labels, k)
	members := make([]engine.Member, m)
	for i, l := range c.lambdas {
		members[i].Lambda = l
	}
	fac := make([]float64, 4*m)
	StackFactors(fac, members, c.etas, c.frozen)

	var in strings.Builder
	fmt.Fprintf(&in, "S %d\n", len(p.Slots))
	for i, s := range p.Slots {
		fmt.Fprintf(&in, "L %d %d\n", i, s.Len)
	}
	type segVals struct{ w, b, dW, dB, data, scores []T }
	vals := make([]segVals, len(segs))
	for i, sg := range segs {
		v := segVals{w: rnd(sg.n * k * d), b: rnd(sg.n * k), dW: rnd(sg.n * k * d), dB: rnd(sg.n * k), data: rnd(sg.n), scores: rnd(rows * sg.n * k)}
		for j := range sg.n {
			if c.frozen[sg.from+j] { // a diverged member: its update would spread NaN
				for q := j * k * d; q < (j+1)*k*d; q++ {
					v.dW[q] = T(math.NaN())
				}
				v.dB[j*k] = T(math.Inf(1))
			}
		}
		for r := range rows { // half the samples right, and sample 1 a tie under the first member (the first class wins)
			for j := range sg.n {
				if (r+j)%2 == 0 {
					v.scores[(r*sg.n+j)*k+int(split.Labels[r])] += 3
				}
			}
		}
		if rows > 1 {
			for q := range k {
				v.scores[sg.n*k+q] = 1
			}
		}
		vals[i] = v
		setSlot(&in, sg.w, v.w)
		setSlot(&in, sg.b, v.b)
		setSlot(&in, sg.dW.Slot, v.dW)
		setSlot(&in, sg.dB.Slot, v.dB)
		setSlot(&in, sg.data.Slot, v.data)
		setSlot(&in, sg.scores.Slot, v.scores)
	}
	harnessBuf(&in, "xs", "real", hexList(split.X))
	harnessBuf(&in, "ys", "real", hexList(split.Y))
	harnessBuf(&in, "ctr", "i64", []string{strconv.Itoa(start), "7"})
	harnessBuf(&in, "etas", "f64", []string{"0x1p-2"})
	harnessBuf(&in, "cur", "f64", []string{"0"})
	harnessBuf(&in, "yb", "real", make([]string, rows*k))
	harnessBuf(&in, "fac", "f64", hexList(fac))
	harnessBuf(&in, "sq", "real", make([]string, m))
	harnessBuf(&in, "mcosts", "f64", make([]string, m))
	harnessBuf(&in, "labels", "i32", intList(split.Labels[:rows]))
	harnessBuf(&in, "counts", "u64", make([]string, m))
	pre, post := StackStepLaunches(p)
	for _, l := range append(pre, post...) {
		harnessLaunch(&in, l)
	}
	fmt.Fprintf(&in, "O %d\nR yb real %d\nR ctr i64 2\nR sq real %d\nR mcosts f64 %d\n", slotOf(p, InputX), rows*k, m, m)
	for _, sg := range segs {
		fmt.Fprintf(&in, "O %d\nO %d\nO %d\n", sg.y, sg.w, sg.b)
	}
	// The evaluation's: labels from "ys" (its first rows), correct counts.
	epre, epost := StackEvalLaunches(p)
	for _, l := range append(epre, epost...) {
		harnessLaunch(&in, l)
	}
	for _, sg := range segs {
		fmt.Fprintf(&in, "O %d\n", sg.y)
	}
	fmt.Fprintf(&in, "R counts u64 %d\n", m)
	outs := runHarnessOrdered(t, bin, in.String())

	exact := func(what string, got []float64, want []T) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(float64(want[i])) {
				t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
				return
			}
		}
	}
	batchX, batchY := split.X[start*d:(start+rows)*d], split.Y[start*k:(start+rows)*k]
	exact("X", take(t, &outs, fmt.Sprint("O ", slotOf(p, InputX))), batchX)
	exact("yb", take(t, &outs, "R yb"), batchY)
	exact("ctr", take(t, &outs, "R ctr"), []T{T(start + rows), 8})
	sq, costs := take(t, &outs, "R sq"), take(t, &outs, "R mcosts")
	for i, sg := range segs {
		v := vals[i]
		exact(fmt.Sprint("Y", i), take(t, &outs, fmt.Sprint("O ", sg.y)), repeatRows(batchY, rows, sg.n, k))
		wantW, wantB := append([]T(nil), v.w...), append([]T(nil), v.b...)
		for j := range sg.n {
			mb := sg.from + j
			w := v.w[j*k*d : (j+1)*k*d]
			var s T
			for _, x := range w {
				s = T(s + T(x*x))
			}
			wantCost := float64(T(v.data[j]) + T(T(c.lambdas[mb])*s))
			if e := math.Abs(sq[mb]-float64(s)) / float64(s); !(e <= tol) {
				t.Errorf("member %d: ‖W‖² %v, want %v (relative difference %.3g > %g)", mb, sq[mb], s, e, tol)
			}
			if e := math.Abs(costs[mb]-wantCost) / math.Max(1, math.Abs(wantCost)); !(e <= tol) {
				t.Errorf("member %d: cost %v, want %v", mb, costs[mb], wantCost)
			}
			if c.frozen[mb] {
				continue
			}
			f := fac[4*mb : 4*mb+4]
			a, cc := T(f[0]), T(f[1])
			for q := j * k * d; q < (j+1)*k*d; q++ {
				wantW[q] = T(T(a*v.w[q]) + T(cc*v.dW[q]))
			}
			for q := j * k; q < (j+1)*k; q++ {
				wantB[q] = T(v.b[q] + T(cc*v.dB[q]))
			}
		}
		exact(fmt.Sprint("W", i), take(t, &outs, fmt.Sprint("O ", sg.w)), wantW)
		exact(fmt.Sprint("b", i), take(t, &outs, fmt.Sprint("O ", sg.b)), wantB)
	}
	counts := make([]T, m)
	for i, sg := range segs {
		exact(fmt.Sprint("eval Y", i), take(t, &outs, fmt.Sprint("O ", sg.y)), repeatRows(split.Y[:rows*k], rows, sg.n, k))
		for r := range rows {
			for j := range sg.n {
				s := vals[i].scores[(r*sg.n+j)*k:][:k]
				best := 0
				for q := range s {
					if s[q] > s[best] {
						best = q
					}
				}
				if best == int(split.Labels[r]) {
					counts[sg.from+j]++
				}
			}
		}
	}
	exact("counts", take(t, &outs, "R counts"), counts)
}
