//go:build gtrain_cuda

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
	"github.com/gtrain/gtrain/models/engine"
)

// TestStackEngineMatchesCPU trains a stack of mixed losses (cross, cross
// | svm | cross | svm), each member with its own λ and rates, one frozen
// after five steps, with the CUDA stack engine and the CPU's from the same
// start: an epoch of consecutive rows of a resident split, then one of
// shuffled rows (uploaded), and compares every step's costs, the members'
// parameters and their evaluations (tolerances as TestEngineMatchesCPU's).
// It also changes a member's parameters through Params, as the trainer
// restores the best epoch's, and checks that Evaluate sees the change.
func TestStackEngineMatchesCPU(t *testing.T) {
	needGPU(t)
	stackVsCPU[float64](t, 1e-9)
	stackVsCPU[float32](t, 2e-3)
}

func stackVsCPU[T graph.Float](t *testing.T, tol float64) {
	const n, k, d, batch = 2000, 10, 256, 100
	X, C := graph.CrossEntropy, graph.SVM
	losses := []graph.Loss{X, X, C, X, C}
	lambdas := []float64{0, 0.1, 0.01, 0.5, 1e-3}
	m := len(losses)
	spec := engine.StackSpec{Device: "cuda", Batch: batch, Tuning: engine.Tuning{NoFuse: *noFuse, NoSegments: *noSegments}}
	for i := range losses {
		spec.Members = append(spec.Members, engine.Member{Loss: losses[i], Lambda: lambdas[i]})
	}
	train := synthSplit[T]("train", n, k, d, 1)
	val := synthSplit[T]("val", 500, k, d, 2)
	splits := engine.Splits[T]{train, val}
	rng := rand.New(rand.NewPCG(5, 5))
	var ps []*graph.Params[T]
	for range m {
		p := graph.NewParams[T](k, d)
		p.InitGaussian(rng, 0.01)
		ps = append(ps, p)
	}
	clones := func() []*graph.Params[T] {
		var out []*graph.Params[T]
		for _, p := range ps {
			out = append(out, p.Clone())
		}
		return out
	}
	cpuSpec := spec
	cpuSpec.Device = "cpu"
	var reg engine.Registry
	reg.Register("cpu", models.CPUFactory())
	cs, err := engine.NewStackFrom(&reg, clones(), cpuSpec, splits)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	gs, err := NewStack(clones(), spec, splits)
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	name := fmt.Sprintf("%T", train.X[0])
	evs := make([]engine.Eval, m)
	if err := gs.Evaluate(train.Name, evs); err != nil { // makes the split resident
		t.Fatal(err)
	}
	etas, cc, gc := make([]float64, m), make([]float64, m), make([]float64, m)
	order := rand.New(rand.NewPCG(9, 9)).Perm(n)
	g := 0
	for ep := 0; ep < 2; ep++ {
		for s := 0; s < n/batch; s++ {
			b := engine.Batch[T]{Split: train.Name, Start: s * batch}
			if ep == 1 {
				b = engine.Batch[T]{Split: train.Name, Rows: order[s*batch : (s+1)*batch]}
			}
			if g == 5 {
				cs.Freeze(2)
				gs.Freeze(2)
			}
			for i := range etas {
				etas[i] = 0.02 / float64(1+i) * math.Pow(0.97, float64(g))
			}
			if err := cs.Step(b, etas, cc); err != nil {
				t.Fatal(err)
			}
			if err := gs.Step(b, etas, gc); err != nil {
				t.Fatal(err)
			}
			for i := range cc {
				if math.Abs(cc[i]-gc[i]) > tol*math.Max(1, math.Abs(cc[i])) {
					t.Fatalf("%s epoch %d step %d member %d: cost cpu %v gpu %v", name, ep, s, i, cc[i], gc[i])
				}
			}
			g++
		}
	}
	pc, _ := cs.Params()
	pg, err := gs.Params()
	if err != nil {
		t.Fatal(err)
	}
	for i := range pc {
		if e := maxRelDiff(pg[i].W, pc[i].W); e > tol {
			t.Errorf("%s member %d: W differs from the CPU's by %.3g", name, i, e)
		}
		if e := maxRelDiff(pg[i].B, pc[i].B); e > tol {
			t.Errorf("%s member %d: b differs from the CPU's by %.3g", name, i, e)
		}
	}
	compare := func(when string) {
		t.Helper()
		for _, s := range splits {
			ec, eg := make([]engine.Eval, m), make([]engine.Eval, m)
			if err := cs.Evaluate(s.Name, ec); err != nil {
				t.Fatal(err)
			}
			if err := gs.Evaluate(s.Name, eg); err != nil {
				t.Fatal(err)
			}
			for i := range ec {
				if math.Abs(ec[i].Cost-eg[i].Cost) > tol*math.Max(1, ec[i].Cost) || math.Abs(ec[i].Loss-eg[i].Loss) > tol*math.Max(1, ec[i].Loss) ||
					ec[i].Correct != eg[i].Correct && tol < 1e-6 {
					t.Errorf("%s %s %s member %d: cpu %+v gpu %+v", name, when, s.Name, i, ec[i], eg[i])
				}
			}
		}
	}
	compare("trained")
	// The trainer's restore of a best epoch: member 1 gets member 0's.
	pc[1].CopyFrom(pc[0])
	pg[1].CopyFrom(pg[0])
	compare("restored")
}
