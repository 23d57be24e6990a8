package cuda

import (
	"testing"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// TestEngineTuning: the engine's program is unfused with Tuning.NoFuse
// and its launches are not segments with Tuning.NoSegments (a training
// step at batch 100, whose default plan has a segment). No GPU needed.
func TestEngineTuning(t *testing.T) {
	net, err := graph.NewNet(graph.NetConfig{Loss: graph.CrossEntropy, Rows: 100, Grad: true}, graph.NewParams[float32](10, 3072))
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	kinds := func(tuning engine.Tuning) (fused, segments int) {
		p, err := lowerForDevice(net, tuning)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range p.Instrs {
			if in.Kind == Fused {
				fused++
			}
		}
		for _, l := range launchPlan(p, p.HostValues(0.1), tuning) {
			if l.Kernel == "segment" {
				segments++
			}
		}
		return fused, segments
	}
	if f, s := kinds(engine.Tuning{}); f == 0 || s == 0 {
		t.Errorf("by default: %d fused instructions, %d segments; want some of both", f, s)
	}
	if f, _ := kinds(engine.Tuning{NoFuse: true}); f != 0 {
		t.Errorf("NoFuse: %d fused instructions", f)
	}
	if f, s := kinds(engine.Tuning{NoSegments: true}); f == 0 || s != 0 {
		t.Errorf("NoSegments: %d fused instructions, %d segments; want fused ones and no segment", f, s)
	}
}
