package models

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gtrain/gtrain/graph"
)

// EngineSpec is what an engine is built for.
type EngineSpec struct {
	Device string // as given: "cpu", "cuda", "cuda:1"
	Loss   graph.Loss
	Lambda float64
	Batch  int // rows of a training step
	Tuning EngineTuning
}

// EngineTuning turns an engine's fast paths off, for comparisons and to
// tell a bug of a fast path from others (gtrain bench's flags). The zero
// value is the default: every fast path on. Each engine reads the fields of
// its own device and ignores the others; none changes what is computed
// beyond rounding.
type EngineTuning struct {
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

// EngineFactory builds engines of one device kind, for either dtype. The
// engine updates p in place (or keeps it on the device until Params).
type EngineFactory struct {
	Float32 func(p *graph.Params[float32], spec EngineSpec) (Engine[float32], error)
	Float64 func(p *graph.Params[float64], spec EngineSpec) (Engine[float64], error)
}

var (
	enginesMu sync.Mutex
	engines   = map[string]EngineFactory{
		"cpu": {
			Float32: func(p *graph.Params[float32], s EngineSpec) (Engine[float32], error) {
				return newCPUEngine(p, s)
			},
			Float64: func(p *graph.Params[float64], s EngineSpec) (Engine[float64], error) {
				return newCPUEngine(p, s)
			},
		},
	}
)

// RegisterEngine makes a device kind ("cuda") available; a build with the
// CUDA backend registers it from package cuda.
func RegisterEngine(kind string, f EngineFactory) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	engines[kind] = f
}

// deviceKind returns "cuda" for "cuda:1".
func deviceKind(device string) string {
	kind, _, _ := strings.Cut(device, ":")
	return kind
}

// EngineKinds lists the registered device kinds.
func EngineKinds() []string {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	return keys(engines)
}

func lookupEngine(device string) (EngineFactory, error) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	f, ok := engines[deviceKind(device)]
	if !ok {
		return f, fmt.Errorf("device %q: this build has no such backend (have %s)", device, strings.Join(keys(engines), ", "))
	}
	return f, nil
}

func keys(m map[string]EngineFactory) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NewEngine builds the engine of spec.Device for the dtype T.
func NewEngine[T graph.Float](p *graph.Params[T], spec EngineSpec) (Engine[T], error) {
	f, err := lookupEngine(spec.Device)
	if err != nil {
		return nil, err
	}
	switch p := any(p).(type) {
	case *graph.Params[float32]:
		e, err := f.Float32(p, spec)
		if err != nil {
			return nil, err
		}
		return any(e).(Engine[T]), nil
	case *graph.Params[float64]:
		e, err := f.Float64(p, spec)
		if err != nil {
			return nil, err
		}
		return any(e).(Engine[T]), nil
	}
	return nil, fmt.Errorf("no engine for %T", p)
}
