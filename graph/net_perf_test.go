package graph

import (
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestNetRunIsPure guards the graph's memory sharing: the Reshapes that
// feed the matrix products are views of X and W, and Gorgonia's compiler
// writes some results in place. A Run must leave x, y, W and b as they
// were, and Runs of the same inputs, with Runs of other inputs (and of
// another Net over the same Params) between them, must give bit-identical
// outputs.
func TestNetRunIsPure(t *testing.T) {
	for _, loss := range []Loss{CrossEntropy, SVM} {
		for _, lean := range []bool{false, true} {
			name := fmt.Sprintf("%s/lean=%v", loss, lean)
			t.Run(name+"/float64", func(t *testing.T) { checkRunIsPure[float64](t, loss, lean) })
			t.Run(name+"/float32", func(t *testing.T) { checkRunIsPure[float32](t, loss, lean) })
		}
	}
}

func checkRunIsPure[T Float](t *testing.T, loss Loss, lean bool) {
	const k, d, rows = 10, 96, 12
	p, b, y := randomProblem[T](7, k, d, rows)
	_, b2, y2 := randomProblem[T](8, k, d, rows)
	net, err := NewNet(NetConfig{Loss: loss, Rows: rows, Grad: true, Lean: lean}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	eval, err := NewNet(NetConfig{Loss: loss, Rows: rows}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	x0, y0, w0, b0 := slices.Clone(b.X), slices.Clone(y), slices.Clone(p.W), slices.Clone(p.B)
	type out struct {
		cost, loss     float64
		scores, dW, dB []T
	}
	run := func() out {
		if err := net.Run(b.X, y, 0.1); err != nil {
			t.Fatal(err)
		}
		return out{net.Cost(), net.Loss(), slices.Clone(net.Scores()), slices.Clone(net.GradW()), slices.Clone(net.GradB())}
	}
	first := run()
	for i := 0; i < 3; i++ {
		if err := net.Run(b2.X, y2, 1); err != nil {
			t.Fatal(err)
		}
		if err := eval.Run(b2.X, y2, 0.5); err != nil {
			t.Fatal(err)
		}
		again := run()
		if again.cost != first.cost || again.loss != first.loss || !slices.Equal(again.scores, first.scores) ||
			!slices.Equal(again.dW, first.dW) || !slices.Equal(again.dB, first.dB) {
			t.Fatalf("run %d of the same inputs differs from the first", i+2)
		}
	}
	if !slices.Equal(b.X, x0) || !slices.Equal(y, y0) || !slices.Equal(p.W, w0) || !slices.Equal(p.B, b0) {
		t.Fatal("Run changed its inputs or the parameters")
	}
}

// TestNetOps pins what makes the training graph cheap: no Transpose (the
// products read W and X in place through BLAS transpose flags), and no
// Repeat or other node of the size of W but W, the reshapes of W, ∂W and
// the few values of the regularization's gradient.
func TestNetOps(t *testing.T) {
	const k, d, rows = 10, 64, 8
	for _, loss := range []Loss{CrossEntropy, SVM} {
		p := NewParams[float64](k, d)
		net, err := NewNet(NetConfig{Loss: loss, Rows: rows, Grad: true}, p)
		if err != nil {
			t.Fatal(err)
		}
		big := 0
		for _, nd := range net.Graph().AllNodes() {
			op := fmt.Sprint(nd.Op())
			if strings.Contains(fmt.Sprintf("%T", nd.Op()), "transpose") {
				t.Errorf("%s: the graph transposes: %v %v", loss, op, nd.Shape())
			}
			if nd.Shape().TotalSize() == k*d {
				if strings.HasPrefix(op, "Repeat") {
					t.Errorf("%s: a Repeat of the size of W: %v", loss, nd.Shape())
				}
				big++
			}
		}
		// W and its Reshape to 1×K×d; 1⊙W and its Reshape to K·d; the
		// regularization's gradient: the scaling, the sum of the dot
		// product's two sides, its Reshape to K×d and the ⊙1; Gᵀ X, its
		// Reshape to K×d and the sum of the two gradients.
		if big > 11 {
			t.Errorf("%s: %d nodes of the size of W, want at most 11", loss, big)
		}
		net.Close()
	}
}

// BenchmarkNetRun times one Run of the CPU engine's training graph (cost,
// ∂data/∂W, ∂b: NetConfig.Lean) at the course's batch of 100 rows,
// K = 10: at d = 32 the matrix products
// are negligible and the time is the graph's fixed cost per step (op
// dispatch, the loss's small tensors), at d = 3072 a CIFAR step without
// the update. The test flag -tape-reset (go test -bench NetRun -args
// -tape-reset) compares with the public TapeMachine API (tape.go).
func BenchmarkNetRun(b *testing.B) {
	for _, loss := range []Loss{CrossEntropy, SVM} {
		for _, d := range []int{32, 3072} {
			b.Run(fmt.Sprintf("%s/float32/d=%d", loss, d), func(b *testing.B) { benchNetRun[float32](b, loss, d) })
			b.Run(fmt.Sprintf("%s/float64/d=%d", loss, d), func(b *testing.B) { benchNetRun[float64](b, loss, d) })
		}
	}
}

var benchTapeReset = flag.Bool("tape-reset", false, "BenchmarkNetRun: run the Nets with NetConfig.TapeReset")

func benchNetRun[T Float](b *testing.B, loss Loss, d int) {
	p, bt, y := randomProblem[T](1, 10, d, 100)
	n, err := NewNet(NetConfig{Loss: loss, Rows: 100, Grad: true, Lean: true, TapeReset: *benchTapeReset}, p)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	if err := n.Run(bt.X, y, 0.1); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := n.Run(bt.X, y, 0.1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/run")
	b.ReportMetric(0, "ns/op")
}

// TestTapeShortcuts: a Net run through package tapevm (program counter
// rewound, registers kept, the program run on the caller's goroutine)
// gives the bits of a Net run through the public API (Reset, RunAll:
// NetConfig.TapeReset), run after run on changing inputs. It also fails
// when tapevm no longer recognizes Gorgonia's TapeMachine (an upgrade of
// gorgonia).
func TestTapeShortcuts(t *testing.T) {
	for _, loss := range []Loss{CrossEntropy, SVM} {
		t.Run(string(loss)+"/float64", func(t *testing.T) { checkTapeShortcuts[float64](t, loss) })
		t.Run(string(loss)+"/float32", func(t *testing.T) { checkTapeShortcuts[float32](t, loss) })
	}
}

func checkTapeShortcuts[T Float](t *testing.T, loss Loss) {
	const k, d, rows = 10, 40, 16
	p, _, _ := randomProblem[T](3, k, d, rows)
	fast, err := NewNet(NetConfig{Loss: loss, Rows: rows, Grad: true, Lean: true}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	if fast.rewind == nil || fast.run == nil {
		t.Fatal("package tapevm does not recognize gorgonia's TapeMachine")
	}
	slow, err := NewNet(NetConfig{Loss: loss, Rows: rows, Grad: true, Lean: true, TapeReset: true}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if slow.rewind != nil || slow.run != nil {
		t.Fatal("TapeReset did not select the public API")
	}
	for i := 0; i < 4; i++ {
		_, b, y := randomProblem[T](uint64(10+i), k, d, rows)
		lambda := 0.05 * float64(i)
		if err := fast.Run(b.X, y, lambda); err != nil {
			t.Fatal(err)
		}
		if err := slow.Run(b.X, y, lambda); err != nil {
			t.Fatal(err)
		}
		if fast.Cost() != slow.Cost() || fast.Loss() != slow.Loss() || !slices.Equal(fast.Scores(), slow.Scores()) ||
			!slices.Equal(fast.GradW(), slow.GradW()) || !slices.Equal(fast.GradB(), slow.GradB()) {
			t.Fatalf("run %d: the outputs differ from the public API's", i+1)
		}
	}
}

// TestLeanNet: a Lean Net computes the plain Net's cost, and its ∂W plus
// 2λW is the plain ∂W (float64, to 1e-12; the sums run in other orders).
func TestLeanNet(t *testing.T) {
	const k, d, rows = 10, 96, 12
	for _, loss := range []Loss{CrossEntropy, SVM} {
		p, b, y := randomProblem[float64](5, k, d, rows)
		plain, err := NewNet(NetConfig{Loss: loss, Rows: rows, Grad: true}, p)
		if err != nil {
			t.Fatal(err)
		}
		lean, err := NewNet(NetConfig{Loss: loss, Rows: rows, Grad: true, Lean: true}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, lambda := range []float64{0, 0.1, 1} {
			if err := plain.Run(b.X, y, lambda); err != nil {
				t.Fatal(err)
			}
			if err := lean.Run(b.X, y, lambda); err != nil {
				t.Fatal(err)
			}
			if e := math.Abs(lean.Cost()-plain.Cost()) / math.Abs(plain.Cost()); !(e <= 1e-12) {
				t.Errorf("%s λ=%g: cost %v, plain %v", loss, lambda, lean.Cost(), plain.Cost())
			}
			gw := slices.Clone(lean.GradW())
			for i := range gw {
				gw[i] += 2 * lambda * p.W[i]
			}
			if e := MaxRelativeError(gw, plain.GradW(), 1e-12); !(e <= 1e-12) {
				t.Errorf("%s λ=%g: ∂W + 2λW differs from the plain ∂W by %.3g", loss, lambda, e)
			}
			if !slices.Equal(lean.GradB(), plain.GradB()) {
				t.Errorf("%s λ=%g: ∂b differs from the plain one", loss, lambda)
			}
		}
		plain.Close()
		lean.Close()
	}
}

// BenchmarkStackRun times one Run of a stack's training graph (cost terms
// and gradients, no update) at the course's batch of 100 rows, d = 3072,
// for M cross-entropy members: the products X W_allᵀ and Gᵀ X (K = 10·M)
// and the loss's elementwise ops on 100·M·10 entries. Compare -cpu 1,2 for
// what splitting the products over the cores gives.
func BenchmarkStackRun(b *testing.B) {
	for _, m := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("M=%d/float32", m), func(b *testing.B) { benchStackRun[float32](b, m) })
		b.Run(fmt.Sprintf("M=%d/float64", m), func(b *testing.B) { benchStackRun[float64](b, m) })
	}
}

func benchStackRun[T Float](b *testing.B, m int) {
	const k, d, rows = 10, 3072, 100
	p, bt, _ := randomProblem[T](2, m*k, d, rows)
	s, err := NewStack(StackConfig{Losses: slices.Repeat([]Loss{CrossEntropy}, m), Classes: k, Rows: rows, Grad: true}, p)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	y := make([]T, rows*k)
	for r := range rows {
		y[r*k+r%k] = 1
	}
	if err := s.Run(bt.X, y); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Run(bt.X, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/run")
	b.ReportMetric(4*float64(rows*d*m*k)/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFLOP/s") // the two products
	b.ReportMetric(0, "ns/op")
}
