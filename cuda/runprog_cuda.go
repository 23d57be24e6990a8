//go:build gtrain_cuda

package cuda

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// runProgram runs a lowered program once on spec's device as the engine
// runs its own (the launches spec.Tuning plans, cuBLAS for the gemms, λ =
// spec.Lambda) and returns every output. inputs holds the values of the
// slots of roles X, Y and Param by slot name ("X", "Y", "W1", …). It is
// how a program no engine runs yet, a k-layer net's, is checked on a GPU;
// the engine it opens holds unused 1×1 parameters of its own.
func runProgram[T graph.Float](spec engine.Spec, prog *Program, inputs map[string][]T) (map[string][]T, error) {
	if graph.Dtype[T]() != prog.Dtype {
		return nil, fmt.Errorf("cuda: a %v program run as %v", prog.Dtype, graph.Dtype[T]())
	}
	e, leave, err := openEngine(graph.NewParams[T](1, 1), spec, nil)
	if err != nil {
		return nil, err
	}
	defer leave()
	defer e.free()
	dp, err := e.newProg(prog)
	if err != nil {
		return nil, err
	}
	for i, s := range prog.Slots {
		switch s.Role {
		case InputX, InputY, Param:
			v, ok := inputs[s.Name]
			if !ok || len(v) != s.Len {
				return nil, fmt.Errorf("cuda: slot %s holds %d values; %d given", s.Name, s.Len, len(v))
			}
			if dp.ptr[i], err = e.alloc(s.Len * e.elem); err != nil {
				return nil, err
			}
			if err := e.upload(dp.ptr[i], v); err != nil {
				return nil, err
			}
		}
	}
	dp.tableDirty = true
	if err := e.exec(dp); err != nil {
		return nil, err
	}
	outs := map[string][]T{}
	for name, v := range prog.Outputs {
		out := make([]T, v.Rows*v.Cols)
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&out[0]), dp.ptr[v.Slot]+cu.DevicePtr(v.Off*e.elem), int64(len(out)*e.elem), e.stream); err != nil {
			return nil, fmt.Errorf("cuda: reading %s: %v", name, err)
		}
		outs[name] = out
	}
	if err := e.sync(); err != nil {
		return nil, err
	}
	return outs, nil
}
