package engine

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gtrain/gtrain/graph"
)

// Registry maps device kinds ("cpu", "cuda") to the factories of their
// engines. The zero value is empty and ready to use. Nothing registers
// itself: the program's main (and a test's TestMain) registers the
// engines it links.
type Registry struct {
	mu        sync.Mutex
	factories map[string]Factory
}

// Register makes a device kind available, replacing an earlier factory of
// the same kind.
func (r *Registry) Register(kind string, f Factory) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.factories == nil {
		r.factories = map[string]Factory{}
	}
	r.factories[kind] = f
}

// Kinds lists the registered device kinds, sorted.
func (r *Registry) Kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kinds()
}

func (r *Registry) kinds() []string {
	var out []string
	for k := range r.factories {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the factory of device's kind ("cuda" for "cuda:1").
func (r *Registry) Lookup(device string) (Factory, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.factories[Kind(device)]
	if !ok {
		return f, fmt.Errorf("device %q: this build has no such backend (have %s)", device, strings.Join(r.kinds(), ", "))
	}
	return f, nil
}

// Kind returns the device kind of a device: "cuda" for "cuda:1".
func Kind(device string) string {
	kind, _, _ := strings.Cut(device, ":")
	return kind
}

// NewFrom builds the engine of spec.Device for the dtype T from r, its
// steps reading the rows of splits.
func NewFrom[T graph.Float](r *Registry, p *graph.Params[T], spec Spec, splits Splits[T]) (Engine[T], error) {
	f, err := r.Lookup(spec.Device)
	if err != nil {
		return nil, err
	}
	switch p := any(p).(type) {
	case *graph.Params[float32]:
		e, err := f.Float32(p, spec, any(splits).(Splits[float32]))
		if err != nil {
			return nil, err
		}
		return any(e).(Engine[T]), nil
	case *graph.Params[float64]:
		e, err := f.Float64(p, spec, any(splits).(Splits[float64]))
		if err != nil {
			return nil, err
		}
		return any(e).(Engine[T]), nil
	}
	return nil, fmt.Errorf("no engine for %T", p)
}

// Default is the registry the trainer builds its engines from (models.Train,
// models.EvaluateModel, Config.Validate); main fills it.
var Default Registry

// Register registers f for kind in Default.
func Register(kind string, f Factory) { Default.Register(kind, f) }

// Kinds lists Default's device kinds.
func Kinds() []string { return Default.Kinds() }

// Lookup returns Default's factory for device.
func Lookup(device string) (Factory, error) { return Default.Lookup(device) }

// New builds the engine of spec.Device for the dtype T from Default.
func New[T graph.Float](p *graph.Params[T], spec Spec, splits Splits[T]) (Engine[T], error) {
	return NewFrom(&Default, p, spec, splits)
}
