//go:build gtrain_cuda

package cuda

import (
	"fmt"
	"testing"

	"github.com/gtrain/gtrain/graph"
)

// TestGPUMLPMatchesTapeMachine runs lowered k-layer programs (the
// training, evaluation and training-forward graphs of 2- and 3-layer nets,
// with and without batch normalization, both losses) on the GPU through
// the engine's launch path (runProgram; fused and segmented unless the
// test flags say otherwise) and compares every output with the
// TapeMachine: within 1e-11 in float64 (cuBLAS sums in its own order) and
// 1e-4 in float32. It has not run on a GPU yet (gpucheck.sh's k-layer
// section runs it).
func TestGPUMLPMatchesTapeMachine(t *testing.T) {
	needGPU(t)
	cases := []mlpCase{{[]int{50, 30}, true, 100}, {[]int{6, 5}, true, 9}, {[]int{6, 5}, false, 9}, {[]int{6}, false, 9}, {[]int{6, 5}, true, 1}}
	for i, c := range cases {
		for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
			for _, gc := range mlpGraphs {
				if gc.grad && !gc.train && c.bn || !gc.grad && gc.train && !c.bn {
					continue
				}
				cfg := graph.MLPConfig{Loss: loss, Rows: c.rows, Grad: gc.grad, Train: gc.train}
				name := fmt.Sprintf("%s/rows=%d/%s/%s", c.arch(), c.rows, loss, gc.name)
				seed := uint64(i + 70)
				t.Run(name+"/float64", func(t *testing.T) { gpuMLPVsTape[float64](t, c, cfg, seed, 1e-11) })
				t.Run(name+"/float32", func(t *testing.T) { gpuMLPVsTape[float32](t, c, cfg, seed, 1e-4) })
			}
		}
	}
}

func gpuMLPVsTape[T graph.Float](t *testing.T, c mlpCase, cfg graph.MLPConfig, seed uint64, tol float64) {
	const lambda = 0.1
	p, x, y := randomMLPProblem[T](t, c, seed)
	m := testMLP(t, cfg, p)
	if err := m.Run(x, y, lambda); err != nil {
		t.Fatal(err)
	}
	spec := gpuSpec(cfg.Loss, lambda, c.rows)
	prog, err := LowerMLP(m, p)
	if err == nil {
		prog, err = fuseFor(prog, nil, spec.Tuning)
	}
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]T{"X": x, "Y": y}
	for _, ts := range p.Tensors {
		inputs[ts.Name] = ts.Data
	}
	got, err := runProgram(spec, prog, inputs)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range mlpWant(m, p, cfg.Grad, cfg.Train) {
		if len(got[o.name]) != len(o.want) {
			t.Errorf("%s: %d values, want %d", o.name, len(got[o.name]), len(o.want))
		} else if e := maxRelDiff(got[o.name], o.want); !(e <= tol) {
			t.Errorf("%s: max relative difference %.3g > %g", o.name, e, tol)
		}
	}
}
