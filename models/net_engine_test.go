package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// TestCPUNetStep: a step of the k-layer engine is θ ← θ − η ∂cost/∂θ with
// the hand-derived gradient (float64, to 1e-12 relative), and the running
// averages move by α = graph.BNMomentum towards the batch's statistics.
func TestCPUNetStep(t *testing.T) {
	d := Prepare[float64](synthetic(3, 40))
	dim := len(d.Train.X) / d.Train.Len()
	for _, bn := range []bool{false, true} {
		a := graph.Arch{In: dim, Out: 10, Hidden: []int{7, 5}, BatchNorm: bn}
		p, err := graph.NewMLPParams[float64](a)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Init(rand.New(rand.NewPCG(1, 2)), "he"); err != nil {
			t.Fatal(err)
		}
		before := p.Clone()
		e, err := engine.NewNetFrom(cpuRegistry(), p, engine.Spec{Device: "cpu", Loss: graph.CrossEntropy, Lambda: 0.01, Batch: 20}, engine.Splits[float64]{d.Train})
		if err != nil {
			t.Fatal(err)
		}
		const eta = 0.05
		cost, err := e.Step(engine.Batch[float64]{Split: d.Train.Name, Start: 10}, eta)
		if err != nil {
			t.Fatal(err)
		}
		e.Close()
		rows := d.Train.Rows(10, 30)
		b := graph.Batch[float64]{X: rows.X, Labels: rows.Labels}
		trained := before.Trained()
		grads := make([][]float64, len(trained))
		for i, tn := range trained {
			grads[i] = make([]float64, len(tn.Data))
		}
		want, err := graph.MLPAnalyticGrad(grads, before, b, graph.CrossEntropy, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(cost-want) > 1e-12*math.Abs(want) {
			t.Errorf("BN %v: step cost %v, hand-derived %v", bn, cost, want)
		}
		for i, tn := range trained {
			got := p.Lookup(tn.Name).Data
			for j, v := range tn.Data {
				w := v - eta*grads[i][j]
				if math.Abs(got[j]-w) > 1e-12*math.Max(1, math.Abs(w)) {
					t.Fatalf("BN %v: %s[%d] = %v after the step, want %v", bn, tn.Name, j, got[j], w)
				}
			}
		}
		if bn {
			mean := p.Lookup("mean1").Data
			moved := false
			for _, v := range mean {
				moved = moved || v != 0
			}
			if !moved {
				t.Errorf("the running mean did not move")
			}
		}
	}
}

// TestCPUNetLearns: a few epochs on separable synthetic data take a 3-layer
// net, with and without batch normalization, from chance to most of the
// training set, and Evaluate agrees with the engine's own steps' view.
func TestCPUNetLearns(t *testing.T) {
	d := Prepare[float32](synthetic(5, 200))
	dim := len(d.Train.X) / d.Train.Len()
	for _, bn := range []bool{false, true} {
		a := graph.Arch{In: dim, Out: 10, Hidden: []int{20, 20}, BatchNorm: bn}
		p, _ := graph.NewMLPParams[float32](a)
		if err := p.Init(rand.New(rand.NewPCG(4, 2)), "he"); err != nil {
			t.Fatal(err)
		}
		e, err := engine.NewNetFrom(cpuRegistry(), p, engine.Spec{Device: "cpu", Loss: graph.CrossEntropy, Batch: 20}, engine.Splits[float32]{d.Train})
		if err != nil {
			t.Fatal(err)
		}
		before, err := e.Evaluate(d.Train.Name)
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			if err := runNetEpoch(e, d.Train, 20, 0.05); err != nil {
				t.Fatal(err)
			}
		}
		after, err := e.Evaluate(d.Train.Name)
		if err != nil {
			t.Fatal(err)
		}
		e.Close()
		if !(after.Accuracy() > 0.9 && after.Cost < before.Cost/2) {
			t.Errorf("BN %v: accuracy %.2f → %.2f, cost %.3f → %.3f", bn, before.Accuracy(), after.Accuracy(), before.Cost, after.Cost)
		}
	}
}

func runNetEpoch[T graph.Float](e engine.NetEngine[T], s *engine.Split[T], batch int, eta float64) error {
	for from := 0; from+batch <= s.Len(); from += batch {
		if _, err := e.Step(engine.Batch[T]{Split: s.Name, Start: from}, eta); err != nil {
			return err
		}
	}
	return nil
}

func cpuRegistry() *engine.Registry {
	r := &engine.Registry{}
	r.Register("cpu", CPUFactory())
	return r
}
