package graph

import (
	"fmt"
	"math"
	"testing"
)

// TestNetMatchesAnalytic checks autodiff against the hand-derived gradient
// on random problems: 1e-10 relative in float64, where for entries below
// 1e-6 that is an absolute 1e-16 (sums of ±1/N that cancel to 0 leave
// ~1e-17 residues);
// 2e-3 in float32, with entries below 1e-4 compared absolutely (float32
// leaves ~1e-8 residues).
func TestNetMatchesAnalytic(t *testing.T) {
	for _, loss := range []Loss{CrossEntropy, SVM} {
		for _, lambda := range []float64{0, 0.1, 1} {
			for _, rows := range []int{1, 7, 50} {
				name := fmt.Sprintf("%s/lambda=%g/rows=%d", loss, lambda, rows)
				t.Run(name+"/float64", func(t *testing.T) { checkNet[float64](t, loss, lambda, rows, 1e-10, 1e-6) })
				t.Run(name+"/float32", func(t *testing.T) { checkNet[float32](t, loss, lambda, rows, 2e-3, 1e-4) })
			}
		}
	}
}

func checkNet[T Float](t *testing.T, loss Loss, lambda float64, rows int, tol, floor float64) {
	const k, d = 10, 40
	p, b, y := randomProblem[T](uint64(rows)*31+uint64(lambda*10), k, d, rows)
	net, err := NewNet(NetConfig{Loss: loss, Rows: rows, Grad: true}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	if err := net.Run(b.X, y, lambda); err != nil {
		t.Fatal(err)
	}
	dW, dB := make([]T, k*d), make([]T, k)
	want, err := AnalyticGrad(dW, dB, p, b, loss, lambda)
	if err != nil {
		t.Fatal(err)
	}
	if got := net.Cost(); math.Abs(got-want) > tol*math.Abs(want) {
		t.Errorf("cost %v, analytic %v", got, want)
	}
	if e := maxRelErr(net.GradW(), dW, floor); e > tol {
		t.Errorf("dW max relative error %.3g > %.0g", e, tol)
	}
	if e := maxRelErr(net.GradB(), dB, floor); e > tol {
		t.Errorf("dB max relative error %.3g > %.0g", e, tol)
	}
}

// TestNetPruned checks that the compiled training graph computes no n×d
// value but the input X: Grad also differentiates X Wᵀ with respect to X,
// and training must not pay for that product.
func TestNetPruned(t *testing.T) {
	const k, d, rows = 10, 64, 8
	for _, loss := range []Loss{CrossEntropy, SVM} {
		p, _, _ := randomProblem[float64](3, k, d, rows)
		net, err := NewNet(NetConfig{Loss: loss, Rows: rows, Grad: true}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, nd := range net.Graph().AllNodes() {
			if s := nd.Shape(); len(s) == 2 && s[0] == rows && s[1] == d && nd != net.Nodes().X {
				t.Errorf("%s: pruned graph still holds %v of shape %v", loss, nd.Op(), s)
			}
		}
		net.Close()
	}
}

// TestNetGolden pins the cost of a tiny problem computed by hand:
// K=2, d=1, W=[1;−1], b=[0;0], x=2, y=0 → s=(2,−2).
func TestNetGolden(t *testing.T) {
	for _, c := range []struct {
		loss   Loss
		lambda float64
		want   float64
	}{
		{CrossEntropy, 0, math.Log(1 + math.Exp(-4))},
		{CrossEntropy, 0.5, math.Log(1+math.Exp(-4)) + 0.5*2},
		{SVM, 0, 0},           // margin −2 − 2 + 1 < 0
		{SVM, 0.25, 0.25 * 2}, // only the regularizer
	} {
		p := &Params[float64]{K: 2, D: 1, W: []float64{1, -1}, B: []float64{0, 0}}
		net, err := NewNet(NetConfig{Loss: c.loss, Rows: 1, Grad: true}, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.Run([]float64{2}, []float64{1, 0}, c.lambda); err != nil {
			t.Fatal(err)
		}
		if got := net.Cost(); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s λ=%g: cost %v, want %v", c.loss, c.lambda, got, c.want)
		}
		net.Close()
	}
	// y=1 makes the SVM margin 2 − (−2) + 1 = 5 and its gradient ±x.
	p := &Params[float64]{K: 2, D: 1, W: []float64{1, -1}, B: []float64{0, 0}}
	net, _ := NewNet(NetConfig{Loss: SVM, Rows: 1, Grad: true}, p)
	if err := net.Run([]float64{2}, []float64{0, 1}, 0); err != nil {
		t.Fatal(err)
	}
	if got := net.Cost(); got != 5 {
		t.Errorf("SVM cost %v, want 5", got)
	}
	if dW, dB := net.GradW(), net.GradB(); dW[0] != 2 || dW[1] != -2 || dB[0] != 1 || dB[1] != -1 {
		t.Errorf("SVM gradients dW=%v dB=%v, want [2 -2] [1 -1]", dW, dB)
	}
}

// TestNetOutputs checks every output of a run against the plain-Go
// computation: the TapeMachine reuses registers, so reading a node's value
// after the run could return another op's result.
func TestNetOutputs(t *testing.T) {
	const k, d, rows = 10, 30, 25
	for _, loss := range []Loss{CrossEntropy, SVM} {
		for _, withGrad := range []bool{false, true} {
			p, b, y := randomProblem[float64](11, k, d, rows)
			net, err := NewNet(NetConfig{Loss: loss, Rows: rows, Grad: withGrad}, p)
			if err != nil {
				t.Fatal(err)
			}
			if err := net.Run(b.X, y, 0.3); err != nil {
				t.Fatal(err)
			}
			want := make([]float64, rows*k)
			scoresInto(want, p, b)
			if e := maxRelErr(net.Scores(), want, 1e-12); e > 1e-12 {
				t.Errorf("%s grad=%v: scores differ by %.3g", loss, withGrad, e)
			}
			cost, _ := Cost(p, b, loss, 0.3)
			if math.Abs(net.Cost()-cost) > 1e-12 || math.Abs(net.Cost()-net.Loss()-regularization(p, 0.3)) > 1e-12 {
				t.Errorf("%s grad=%v: cost %v loss %v, want cost %v", loss, withGrad, net.Cost(), net.Loss(), cost)
			}
			if (net.GradW() != nil) != withGrad {
				t.Errorf("%s grad=%v: GradW present = %v", loss, withGrad, net.GradW() != nil)
			}
			net.Close()
		}
	}
}
