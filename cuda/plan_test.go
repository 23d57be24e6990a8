package cuda

import (
	"strings"
	"testing"

	"github.com/gtrain/gtrain/graph"
)

// TestSegmentLaunches pins what Segment does to the programs the engine
// runs: a training step at the course's batch size is the scores' gemm,
// the W-sized regularization terms (moved ahead of the segment), one
// segment, the gradient's gemm and the W-sized add; at batch 500 and in
// an evaluation block of 10 000 rows the batch-sized instructions keep
// their launches (one block would be slow there).
func TestSegmentLaunches(t *testing.T) {
	cases := []struct {
		loss      graph.Loss
		rows      int
		grad      bool
		wantShape string
		large     bool
	}{
		{graph.CrossEntropy, 100, true, "gemm fused reduce segment gemm binary", false},
		{graph.SVM, 100, true, "gemm fused reduce segment gemm binary", false},
		{graph.CrossEntropy, 500, true, "", true},
		{graph.CrossEntropy, 10000, false, "", true},
		{graph.SVM, 10000, false, "", true},
	}
	for _, c := range cases {
		prog := fusedProgram(t, graph.NetConfig{Loss: c.loss, Rows: c.rows, Grad: c.grad}, graph.NewParams[float32](10, 3072))
		host := prog.HostValues(0.1)
		plan := Plan(prog, host)
		seg := Segment(prog, host, plan)
		var names []string
		covered := 0
		for _, l := range seg {
			switch {
			case l.Gemm != nil:
				names = append(names, "gemm")
				covered++
			case l.Kernel == "segment":
				names = append(names, "segment")
				covered += len(l.Instrs)
				if len(l.Desc) == 0 || l.Desc[0] != int64(len(l.Instrs)) {
					t.Errorf("%s rows %d: segment descriptor %v for %d instructions", c.loss, c.rows, l.Desc[:1], len(l.Instrs))
				}
			default:
				names = append(names, l.Kernel)
				covered++
			}
		}
		if covered != len(plan) {
			t.Errorf("%s rows %d: the segmented plan covers %d of %d launches", c.loss, c.rows, covered, len(plan))
		}
		got := strings.Join(names, " ")
		for _, l := range seg {
			for _, i := range l.Instrs {
				in := prog.Instrs[i]
				if in.Rows*in.Cols > SegmentMaxElems || (in.Kind == Reduce && in.In[0].Rows*in.In[0].Cols > SegmentMaxElems) {
					t.Errorf("%s rows %d: segment holds %s", c.loss, c.rows, in)
				}
			}
		}
		if c.large {
			if !strings.HasPrefix(got, "gemm ") || strings.HasPrefix(got, "gemm segment") {
				t.Errorf("%s rows %d: launches %q, want the big instructions launched alone", c.loss, c.rows, got)
			}
			continue
		}
		if got != c.wantShape {
			t.Errorf("%s rows %d: launches %q, want %q (from %d)", c.loss, c.rows, got, c.wantShape, len(plan))
		}
	}
}

// fusedProgram lowers and fuses the graph of a Net of cfg over p, as the
// CUDA engine does.
func fusedProgram[T graph.Float](t *testing.T, cfg graph.NetConfig, p *graph.Params[T]) *Program {
	t.Helper()
	net, err := graph.NewNet(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	prog, err := LowerNet(net)
	if err != nil {
		t.Fatal(err)
	}
	return Fuse(prog)
}
