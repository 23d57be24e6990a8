package graph

import (
	"fmt"
	"slices"
	"testing"
)

// TestMLPStackMatchesLone runs stacks of networks (2 and 3 layers, with and
// without batch normalization; members of both losses and different λ,
// and a stack of one) on the rows lone MLPs run on, and compares every
// member's data term, cost, every gradient, batch statistics, running
// averages after UpdateRunning and evaluation scores, losses and costs
// with its lone MLP's, in both dtypes.
//
// Where the first hidden layer's width is a multiple of 10 (the course's
// 50) they are equal bit for bit: the AVX2 kernels take the columns of
// X W1ᵀ in groups of 5 and the rows of Gᵀ X in groups of 10, so a member's
// columns of the shared products fall into the groups the lone products
// use. Other widths put some of a member's entries in groups where the
// lone net sums them another way (a tail of scalar dots or axpys): then
// equal within 1e-12 (float64) and 1e-4 (float32) relative, with a floor
// of 1e-6 for entries that cancel to rounding.
func TestMLPStackMatchesLone(t *testing.T) {
	X, C := CrossEntropy, SVM
	for _, c := range []struct {
		a     Arch
		exact bool
	}{
		{Arch{In: 24, Hidden: []int{10}, Out: 5}, true},
		{Arch{In: 24, Hidden: []int{10}, Out: 5, BatchNorm: true}, true},
		{Arch{In: 24, Hidden: []int{20, 6}, Out: 5}, true},
		{Arch{In: 24, Hidden: []int{10, 7}, Out: 5, BatchNorm: true}, true},
		{Arch{In: 24, Hidden: []int{8, 6}, Out: 5, BatchNorm: true}, false},
		{Arch{In: 24, Hidden: []int{13}, Out: 5}, false},
	} {
		for _, losses := range [][]Loss{{X, C, X}, {C}} {
			name := fmt.Sprintf("%s/%v", c.a, losses)
			t.Run(name+"/float64", func(t *testing.T) { checkMLPStack[float64](t, c.a, losses, c.exact, 1e-12) })
			t.Run(name+"/float32", func(t *testing.T) { checkMLPStack[float32](t, c.a, losses, c.exact, 1e-4) })
		}
	}
}

func checkMLPStack[T Float](t *testing.T, a Arch, losses []Loss, exact bool, tol float64) {
	exact = exact && shapeExact
	const rows = 20
	var members []*MLPParams[T]
	lambdas := make([]float64, len(losses))
	var b Batch[T]
	for m := range losses {
		p, bm := randomMLP[T](t, uint64(10+m), a, "he", rows)
		if m == 0 {
			b = bm
		}
		// Running averages away from their initial values, so that an
		// evaluation reading another member's would show.
		for _, ts := range p.Tensors {
			if ts.Kind == RunningMean || ts.Kind == RunningVar {
				for i := range ts.Data {
					ts.Data[i] += T(0.1 * float64(m+i+1))
				}
			}
		}
		members = append(members, p)
		lambdas[m] = 0.05 * float64(m)
	}
	y := oneHot[T](b.Labels, a.Out)
	sp, err := NewMLPStackParams(members)
	if err != nil {
		t.Fatal(err)
	}
	train, err := NewMLPStack(MLPStackConfig{Losses: losses, Rows: rows, Grad: true, Train: true}, sp)
	if err != nil {
		t.Fatal(err)
	}
	defer train.Close()
	eval, err := NewMLPStack(MLPStackConfig{Losses: losses, Rows: rows}, sp)
	if err != nil {
		t.Fatal(err)
	}
	defer eval.Close()
	if err := eval.Run(b.X, y, lambdas); err != nil {
		t.Fatal(err)
	}
	if err := train.Run(b.X, y, lambdas); err != nil {
		t.Fatal(err)
	}
	sums := make([]T, len(losses))
	eval.AddLosses(sums)
	for m, p := range members {
		loneTrain, err := NewMLP(MLPConfig{Loss: losses[m], Rows: rows, Grad: true, Train: true}, p)
		if err != nil {
			t.Fatal(err)
		}
		defer loneTrain.Close()
		loneEval, err := NewMLP(MLPConfig{Loss: losses[m], Rows: rows}, p)
		if err != nil {
			t.Fatal(err)
		}
		defer loneEval.Close()
		if err := loneEval.Run(b.X, y, lambdas[m]); err != nil {
			t.Fatal(err)
		}
		if err := loneTrain.Run(b.X, y, lambdas[m]); err != nil {
			t.Fatal(err)
		}
		same := func(what string, got, want float64) {
			t.Helper()
			if exact && got != want || !exact && maxRelErr([]float64{got}, []float64{want}, 1e-6) > tol {
				t.Errorf("member %d: %s %v, lone %v", m, what, got, want)
			}
		}
		sameSlice := func(what string, got, want []T) {
			t.Helper()
			if exact && !slices.Equal(got, want) || !exact && (len(got) != len(want) || maxRelErr(got, want, 1e-6) > tol) {
				t.Errorf("member %d: %s differs from the lone net's (max rel %.2g)", m, what, maxRelErr(got, want, 0))
			}
		}
		same("data term", train.Loss(m), loneTrain.Loss())
		same("cost", train.Cost(m), loneTrain.Cost())
		same("evaluation data term", eval.Loss(m), loneEval.Loss())
		same("evaluation cost", eval.Cost(m), loneEval.Cost())
		same("evaluation loss sum", MeanOf(sums[m], rows), loneEval.Loss())
		same("T(loss) + Reg", float64(T(eval.Loss(m))+eval.Reg(m)), loneEval.Cost())
		sameSlice("evaluation scores", eval.Scores(m), loneEval.Scores())
		for i, ts := range p.Trained() {
			sameSlice("∂"+ts.Name, train.Grad(m, i), loneTrain.Grad(i))
		}
		for l := 0; l < a.Layers(); l++ {
			gm, gv := train.BatchStats(m, l)
			wm, wv := loneTrain.BatchStats(l)
			sameSlice(fmt.Sprintf("layer %d's batch mean", l+1), gm, wm)
			sameSlice(fmt.Sprintf("layer %d's batch variance", l+1), gv, wv)
		}
		q := p.Clone()
		train.UpdateRunning(m)
		loneTrain.UpdateRunning() // moves p's averages
		for i, ts := range sp.Members[m].Tensors {
			sameSlice(ts.Name+" after the update", ts.Data, p.Tensors[i].Data)
			if ts.Kind == RunningMean && slices.Equal(ts.Data, q.Tensors[i].Data) {
				t.Errorf("member %d: UpdateRunning left %s as it was", m, ts.Name)
			}
		}
	}
}

// TestMLPStackParamsRefuse checks the layouts NewMLPStackParams refuses.
func TestMLPStackParamsRefuse(t *testing.T) {
	net := func(a Arch) *MLPParams[float64] {
		p, err := NewMLPParams[float64](a)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := Arch{In: 6, Hidden: []int{4}, Out: 3}
	bn := Arch{In: 6, Hidden: []int{4}, Out: 3, BatchNorm: true}
	wide := Arch{In: 6, Hidden: []int{5}, Out: 3}
	for _, c := range []struct {
		name string
		ps   []*MLPParams[float64]
	}{
		{"none", nil},
		{"linear", []*MLPParams[float64]{net(Arch{In: 6, Out: 3})}},
		{"batch norm", []*MLPParams[float64]{net(a), net(bn)}},
		{"widths", []*MLPParams[float64]{net(a), net(wide)}},
	} {
		if _, err := NewMLPStackParams(c.ps); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	sp, err := NewMLPStackParams([]*MLPParams[float64]{net(a), net(a)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMLPStack(MLPStackConfig{Losses: []Loss{CrossEntropy}, Rows: 4}, sp); err == nil {
		t.Error("one loss for two members: no error")
	}
}
