package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// stackOf stacks the members' parameters into one Params (K = M·k).
func stackOf[T Float](members []*Params[T]) *Params[T] {
	k, d := members[0].K, members[0].D
	p := NewParams[T](len(members)*k, d)
	for m, q := range members {
		Member(p, m, k).CopyFrom(q)
	}
	return p
}

// TestStackMatchesLone runs stacks (one loss, mixed, single member) on the
// rows a lone Lean Net runs on, each member with its own parameters, and
// compares every member's data term, cost, ∂W, ∂b and evaluation scores
// with the lone Net's: bit for bit (the stack's products compute each entry
// as the lone ones do, and its losses are the lone formulas row by row),
// in both dtypes.
func TestStackMatchesLone(t *testing.T) {
	X, C := CrossEntropy, SVM
	for _, losses := range [][]Loss{{X}, {C}, {X, X, X}, {C, C}, {X, C, C, X}, {C, X}} {
		name := fmt.Sprint(losses)
		t.Run(name+"/float64", func(t *testing.T) { checkStack[float64](t, losses) })
		t.Run(name+"/float32", func(t *testing.T) { checkStack[float32](t, losses) })
	}
}

func checkStack[T Float](t *testing.T, losses []Loss) {
	const k, d, rows = 10, 48, 20
	rng := rand.New(rand.NewPCG(uint64(len(losses)), 5))
	var members []*Params[T]
	lambdas := make([]float64, len(losses))
	for m := range losses {
		p := NewParams[T](k, d)
		p.InitGaussian(rng, 0.01*float64(m+1))
		members = append(members, p)
		lambdas[m] = 0.1 * float64(m)
	}
	_, b, y := randomProblem[T](7, k, d, rows)
	stacked := stackOf(members)
	train, err := NewStack(StackConfig{Losses: losses, Classes: k, Rows: rows, Grad: true}, stacked)
	if err != nil {
		t.Fatal(err)
	}
	defer train.Close()
	eval, err := NewStack(StackConfig{Losses: losses, Classes: k, Rows: rows}, stacked)
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	if err := train.Run(b.X, y); err != nil {
		t.Fatal(err)
	}
	if err := eval.Run(b.X, y); err != nil {
		t.Fatal(err)
	}
	for m, p := range members {
		lone, err := NewNet(NetConfig{Loss: losses[m], Rows: rows, Grad: true, Lean: true}, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := lone.Run(b.X, y, lambdas[m]); err != nil {
			t.Fatal(err)
		}
		if got, want := train.Loss(m), lone.Loss(); got != want {
			t.Errorf("member %d: data term %v, lone %v", m, got, want)
		}
		if got, want := eval.Loss(m), lone.Loss(); got != want {
			t.Errorf("member %d: evaluation data term %v, lone %v", m, got, want)
		}
		if got, want := MemberCost(train.Loss(m), lambdas[m], Member(stacked, m, k).W), lone.Cost(); got != want {
			t.Errorf("member %d: cost %v, lone %v", m, got, want)
		}
		if !sameGrads(train.GradW(m), lone.GradW()) || !sameGrads(train.GradB(m), lone.GradB()) {
			t.Errorf("member %d: gradients differ from the lone Net's (max rel %.3g, %.3g)", m,
				maxRelErr(train.GradW(m), lone.GradW(), 1e-30), maxRelErr(train.GradB(m), lone.GradB(), 1e-30))
		}
		lone.Close()
		ev, err := NewNet(NetConfig{Loss: losses[m], Rows: rows}, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := ev.Run(b.X, y, 0); err != nil {
			t.Fatal(err)
		}
		if !equalBits(eval.Scores(nil, m), ev.Scores()) {
			t.Errorf("member %d: scores differ from the lone Net's", m)
		}
		ev.Close()
	}
}

// shapeExact says that a product's entries have the same bits whatever
// its number of columns: SkinnyBLAS's kernels sum each entry alone, so a
// stack's K = 10·M products are a lone run's K = 10 ones; OpenBLAS
// (-tags openblas) picks its kernels by shape, and on AVX-512 its 1×K
// products (∂b) sum in another order for another K.
const shapeExact = BLAS != "openblas"

// sameGrads is equalBits where shapeExact, else equality within rounding
// (1e-10 relative in float64, 1e-4 in float32, entries summing to about
// zero measured against 1e-6).
func sameGrads[T Float](a, b []T) bool {
	if shapeExact {
		return equalBits(a, b)
	}
	tol := 1e-10
	var z T
	if any(z) == any(float32(0)) {
		tol = 1e-4
	}
	return len(a) == len(b) && maxRelErr(a, b, 1e-6) <= tol
}

func equalBits[T Float](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(float64(a[i])) != math.Float64bits(float64(b[i])) {
			return false
		}
	}
	return true
}

// TestStackRefuses: shapes that do not make a stack are errors.
func TestStackRefuses(t *testing.T) {
	p := NewParams[float64](20, 4)
	for _, c := range []StackConfig{
		{Classes: 10, Rows: 5},
		{Losses: []Loss{CrossEntropy}, Classes: 10, Rows: 5},
		{Losses: []Loss{CrossEntropy, "hinge"}, Classes: 10, Rows: 5},
		{Losses: []Loss{CrossEntropy, SVM}, Classes: 10, Rows: 0},
	} {
		if s, err := NewStack(c, p); err == nil {
			s.Close()
			t.Errorf("%+v: no error", c)
		}
	}
}

// TestStackLossSums: the losses of an evaluation stack summed over blocks
// of rows (AddLosses, MeanOf) are the data term of one block of all the
// rows, bit for bit, in both dtypes and for both losses.
func TestStackLossSums(t *testing.T) {
	t.Run("float64", func(t *testing.T) { checkLossSums[float64](t) })
	t.Run("float32", func(t *testing.T) { checkLossSums[float32](t) })
}

func checkLossSums[T Float](t *testing.T) {
	const k, d, rows, block = 10, 24, 60, 14 // blocks of 14, 14, 14, 14 and 4 rows
	losses := []Loss{CrossEntropy, SVM, SVM}
	rng := rand.New(rand.NewPCG(9, 9))
	p := NewParams[T](len(losses)*k, d)
	p.InitGaussian(rng, 0.3)
	_, b, y := randomProblem[T](11, k, d, rows)
	whole, err := NewStack(StackConfig{Losses: losses, Classes: k, Rows: rows}, p)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	if err := whole.Run(b.X, y); err != nil {
		t.Fatal(err)
	}
	sums := make([]T, len(losses))
	for from := 0; from < rows; from += block {
		to := min(from+block, rows)
		part, err := NewStack(StackConfig{Losses: losses, Classes: k, Rows: to - from}, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := part.Run(b.X[from*d:to*d], y[from*k:to*k]); err != nil {
			t.Fatal(err)
		}
		part.AddLosses(sums)
		part.Close()
	}
	for m := range losses {
		if got, want := MeanOf(sums[m], rows), whole.Loss(m); got != want {
			t.Errorf("member %d: summed over blocks %v, one block %v", m, got, want)
		}
	}
}
