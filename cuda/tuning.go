package cuda

import (
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// What the CUDA engine runs for a net, decided on the host (no device
// needed): the lowered program and its launches, each with the fast path
// its engine.Tuning leaves on.

// lowerForDevice lowers a net, fused unless tuning.NoFuse says to run the
// unfused program (one launch per elementwise instruction), to tell a
// fused-kernel bug from others.
func lowerForDevice[T graph.Float](net *graph.Net[T], tuning engine.Tuning) (*Program, error) {
	p, err := LowerNet(net)
	return fuseFor(p, err, tuning)
}

// lowerStackForDevice lowers a stack as lowerForDevice a net.
func lowerStackForDevice[T graph.Float](s *graph.Stack[T], tuning engine.Tuning) (*Program, error) {
	p, err := LowerStack(s)
	return fuseFor(p, err, tuning)
}

// fuseFor returns a lowering's program, fused unless tuning.NoFuse.
func fuseFor(p *Program, err error, tuning engine.Tuning) (*Program, error) {
	if err != nil {
		return nil, err
	}
	if !tuning.NoFuse {
		p = Fuse(p)
	}
	return p, nil
}

// launchPlan plans the launches of p (plan.go), its small instructions
// grouped into segments unless tuning.NoSegments says to launch them one by
// one.
func launchPlan(p *Program, host []float64, tuning engine.Tuning) []Launch {
	plan := Plan(p, host)
	if !tuning.NoSegments {
		plan = Segment(p, host, plan)
	}
	return plan
}
