package models

import (
	"math/rand/v2"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// TestStackEvaluateAsAlone: a stack's evaluation in runs of few rows (as
// a large stack's; an even number, as stackEvalRows gives) is each
// member's lone evaluation bit for bit: loss, cost and correct count.
func TestStackEvaluateAsAlone(t *testing.T) {
	d := Prepare[float64](synthetic(6, 60))
	spec := engine.StackSpec{Device: "cpu", Batch: 10}
	var ps []*graph.Params[float64]
	for i, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM, graph.CrossEntropy} {
		p := graph.NewParams[float64](10, len(d.Train.X)/d.Train.Len())
		p.InitGaussian(rand.New(rand.NewPCG(uint64(i), 1)), 0.01)
		ps = append(ps, p)
		spec.Members = append(spec.Members, engine.Member{Loss: loss, Lambda: 0.1 * float64(i)})
	}
	for _, rows := range []int{8, 14, 60, 10000} {
		e, err := newCPUStack(ps, spec, engine.Splits[float64]{d.Train, d.Val})
		if err != nil {
			t.Fatal(err)
		}
		e.evalRows = rows
		evs := make([]engine.Eval, len(ps))
		if err := e.Evaluate(d.Val.Name, evs); err != nil {
			t.Fatal(err)
		}
		e.Close()
		for m, p := range ps {
			lone, err := NewCPUEngine(p.Clone(), spec.Members[m].Loss, spec.Members[m].Lambda, 10, d.Train, d.Val)
			if err != nil {
				t.Fatal(err)
			}
			want, err := lone.Evaluate(d.Val.Name)
			if err != nil {
				t.Fatal(err)
			}
			lone.Close()
			if evs[m] != want {
				t.Errorf("runs of %d rows, member %d: %+v, alone %+v", rows, m, evs[m], want)
			}
		}
	}
}

func TestStackEvalRows(t *testing.T) {
	for _, m := range []int{1, 16, 17, 48, 64, 1000, 100000} {
		if r := stackEvalRows(m); r%2 != 0 || r < 100 || r > evalBlock || (m <= 16 && r != evalBlock) {
			t.Errorf("M=%d: %d rows", m, r)
		}
	}
}
