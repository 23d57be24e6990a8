package engine

import "github.com/gtrain/gtrain/graph"

// Spec is what an engine is built for.
type Spec struct {
	Device string // as given: "cpu", "cuda", "cuda:1"
	Loss   graph.Loss
	Lambda float64
	Batch  int // rows of a training step
	Tuning Tuning
}

// Tuning turns an engine's fast paths off, for comparisons and to tell a
// bug of a fast path from others (gtrain bench's flags). The zero value is
// the default: every fast path on. Each engine reads the fields of its own
// device and ignores the others; none changes what is computed beyond
// rounding.
type Tuning struct {
	// TapeReset (cpu) runs the graphs' TapeMachines through Reset and
	// RunAll (graph.NetConfig.TapeReset).
	TapeReset bool
	// NoFuse (cuda) runs the unfused programs: a launch per elementwise
	// instruction, no fused kernel.
	NoFuse bool
	// NoSegments (cuda) launches a training step's small instructions one
	// by one instead of as segments.
	NoSegments bool
}

// Factory builds engines of one device kind, for either dtype. The engine
// updates p in place (or keeps it on the device until Params); its steps
// read the rows of the splits it is built with (Batch).
type Factory struct {
	Float32 func(p *graph.Params[float32], spec Spec, splits Splits[float32]) (Engine[float32], error)
	Float64 func(p *graph.Params[float64], spec Spec, splits Splits[float64]) (Engine[float64], error)
	// Stack builds the kind's stacked engines; its zero value: the kind
	// trains runs alone only.
	Stack StackFactory
	// Net builds the kind's engines of networks with hidden layers.
	Net NetFactory
	// NetStack builds the kind's stacked engines of networks with hidden
	// layers; its zero value: the kind's networks train alone.
	NetStack NetStackFactory
}
