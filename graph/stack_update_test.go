package graph

import (
	"math"
	"slices"
	"testing"
)

// TestStackUpdateW: a Stack built with FusedUpdate gives, after UpdateW,
// the W bits of one built without it followed by ScaleAxpy with each
// member's GradW, and the same data terms and GradB: two segments (a mixed
// stack), a frozen member, a coefficient of 1 (λ = 0), both dtypes.
func TestStackUpdateW(t *testing.T) {
	if !UpdateTNApplies[float32](100, 640, 10) {
		t.Skip("no AVX-512 kernels on this CPU")
	}
	testStackUpdateW[float32](t)
	testStackUpdateW[float64](t)
}

func testStackUpdateW[T Float](t *testing.T) {
	const k, d, rows = 10, 640, 100
	losses := []Loss{CrossEntropy, CrossEntropy, SVM, CrossEntropy}
	m := len(losses)
	p, bt, _ := randomProblem[T](3, m*k, d, rows)
	y := make([]T, rows*k)
	for r := range rows {
		y[r*k+(r*7)%k] = 1
	}
	a, b := make([]T, m), make([]T, m)
	on := []bool{true, true, false, true}
	for i := range m {
		a[i], b[i] = T(1-2*0.01*float64(i)), T(-0.002*float64(i+1))
	}
	a[1] = 1
	plainP, fusedP := NewParams[T](m*k, d), NewParams[T](m*k, d)
	plainP.CopyFrom(p)
	fusedP.CopyFrom(p)
	plain, err := NewStack(StackConfig{Losses: losses, Classes: k, Rows: rows, Grad: true}, plainP)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	fused, err := NewStack(StackConfig{Losses: losses, Classes: k, Rows: rows, Grad: true, FusedUpdate: true}, fusedP)
	if err != nil {
		t.Fatal(err)
	}
	defer fused.Close()
	if err := fused.UpdateW(a, b, on); err == nil {
		t.Error("UpdateW before a Run: no error")
	}
	for step := 0; step < 3; step++ {
		if err := plain.Run(bt.X, y); err != nil {
			t.Fatal(err)
		}
		if err := fused.Run(bt.X, y); err != nil {
			t.Fatal(err)
		}
		for i := range m {
			if plain.Loss(i) != fused.Loss(i) || !slices.Equal(plain.GradB(i), fused.GradB(i)) {
				t.Fatalf("step %d member %d: data %v, %v; ∂b differs", step, i, plain.Loss(i), fused.Loss(i))
			}
			if on[i] {
				ScaleAxpy(a[i], Member(plainP, i, k).W, b[i], plain.GradW(i))
			}
		}
		if fused.GradW(0) != nil {
			t.Error("GradW of a FusedUpdate stack is not nil")
		}
		if err := fused.UpdateW(a, b, on); err != nil {
			t.Fatal(err)
		}
		for j := range plainP.W {
			if math.Float64bits(float64(plainP.W[j])) != math.Float64bits(float64(fusedP.W[j])) {
				t.Fatalf("%T step %d: W[%d] (member %d) %v, want %v", plainP.W[0], step, j, j/(k*d), fusedP.W[j], plainP.W[j])
			}
		}
	}
	if err := plain.UpdateW(a, b, on); err == nil {
		t.Error("UpdateW on a stack without FusedUpdate: no error")
	}
}
