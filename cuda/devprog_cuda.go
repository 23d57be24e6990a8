//go:build gtrain_cuda

package cuda

import (
	"fmt"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gorgonia.org/cu"

	"github.com/gtrain/gtrain/graph"
)

// ---- programs on the device ----

type devProg[T graph.Float] struct {
	p          *Program
	ptr        []cu.DevicePtr // per slot
	host       []float64
	table      cu.DevicePtr // ptr on the device, for the fused kernel
	tableHost  []uint64
	tableDirty bool
	descs      []cu.DevicePtr // per instruction: the Fused descriptor
	own        []cu.DevicePtr // per launch of plan: its own descriptor (segments)
	plan       []Launch
}

func (e *Engine[T]) newProg(p *Program) (*devProg[T], error) {
	dp := &devProg[T]{p: p, ptr: make([]cu.DevicePtr, len(p.Slots)), host: p.HostValues(e.spec.Lambda)}
	dp.plan = launchPlan(p, dp.host, e.spec.Tuning)
	for i, s := range p.Slots {
		switch s.Role {
		case Temp, Const:
			ptr, err := e.alloc(s.Len * e.elem)
			if err != nil {
				return nil, err
			}
			dp.ptr[i] = ptr
			if s.Role == Const {
				vals := make([]T, s.Len)
				for j, x := range s.Init {
					vals[j] = T(x)
				}
				if err := cu.MemcpyHtoD(ptr, unsafe.Pointer(&vals[0]), int64(len(vals)*e.elem)); err != nil {
					return nil, fmt.Errorf("cuda: upload: %v", err)
				}
			}
		case ParamW:
			dp.ptr[i] = e.w
		case ParamB:
			dp.ptr[i] = e.b
		}
	}
	var err error
	if dp.table, err = e.alloc(8 * len(p.Slots)); err != nil {
		return nil, err
	}
	dp.tableHost = make([]uint64, len(p.Slots))
	dp.tableDirty = true
	dp.descs = make([]cu.DevicePtr, len(p.Instrs))
	for i, in := range p.Instrs {
		if in.Kind != Fused {
			continue
		}
		if len(in.Ops) > MaxFusedOps {
			return nil, fmt.Errorf("cuda: fused instruction of %d ops (at most %d)", len(in.Ops), MaxFusedOps)
		}
		desc := FusedDesc(in, dp.host)
		if dp.descs[i], err = e.alloc(8 * len(desc)); err != nil {
			return nil, err
		}
		if err := cu.MemcpyHtoD(dp.descs[i], unsafe.Pointer(&desc[0]), int64(8*len(desc))); err != nil {
			return nil, fmt.Errorf("cuda: upload: %v", err)
		}
	}
	dp.own = make([]cu.DevicePtr, len(dp.plan))
	for i, l := range dp.plan {
		if l.Desc == nil {
			continue
		}
		if dp.own[i], err = e.alloc(8 * len(l.Desc)); err != nil {
			return nil, err
		}
		if err := cu.MemcpyHtoD(dp.own[i], unsafe.Pointer(&l.Desc[0]), int64(8*len(l.Desc))); err != nil {
			return nil, fmt.Errorf("cuda: upload: %v", err)
		}
	}
	return dp, nil
}

func (e *Engine[T]) bindInputs(dp *devProg[T], x, y cu.DevicePtr) {
	for i, s := range dp.p.Slots {
		switch s.Role {
		case InputX:
			dp.ptr[i] = x
		case InputY:
			dp.ptr[i] = y
		}
	}
	dp.tableDirty = true
}

func (e *Engine[T]) launch(name string, grid, block, shared int, a kargs) error {
	if err := e.m.fns[name].Launch(grid, 1, 1, block, 1, 1, shared, e.stream, a.ptrs()); err != nil {
		return fmt.Errorf("cuda: launching %s: %v", name, err)
	}
	return nil
}

// exec issues the program's instructions on the stream. (During a graph
// capture the slot table is clean: the warm-up run uploaded it.)
func (e *Engine[T]) exec(dp *devProg[T]) error {
	if dp.tableDirty {
		for i, p := range dp.ptr {
			dp.tableHost[i] = uint64(p)
		}
		if err := cu.MemcpyHtoDAsync(dp.table, unsafe.Pointer(&dp.tableHost[0]), int64(8*len(dp.tableHost)), e.stream); err != nil {
			return fmt.Errorf("cuda: upload: %v", err)
		}
		dp.tableDirty = false
	}
	for li := range dp.plan {
		if err := e.issue(dp, li); err != nil {
			return err
		}
	}
	return nil
}

// issue issues launch li of the program's plan: a gemm or a kernel.
func (e *Engine[T]) issue(dp *devProg[T], li int) error {
	l := dp.plan[li]
	g := l.Gemm
	if g == nil {
		return e.launchPlanned(dp, l, dp.own[li], nil)
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if g.TransA {
		ta = blas.Trans
	}
	if g.TransB {
		tb = blas.Trans
	}
	av := devSlice[T](dp.ptr[g.A]+cu.DevicePtr(g.OffA*e.elem), dp.p.Slots[g.A].Len-g.OffA)
	bv := devSlice[T](dp.ptr[g.B]+cu.DevicePtr(g.OffB*e.elem), dp.p.Slots[g.B].Len-g.OffB)
	cv := devSlice[T](dp.ptr[g.C], dp.p.Slots[g.C].Len)
	switch a := any(av).(type) {
	case []float32:
		e.blas.Sgemm(ta, tb, g.M, g.N, g.K, 1, a, g.LdA, any(bv).([]float32), g.LdB, 0, any(cv).([]float32), g.LdC)
	case []float64:
		e.blas.Dgemm(ta, tb, g.M, g.N, g.K, 1, a, g.LdA, any(bv).([]float64), g.LdB, 0, any(cv).([]float64), g.LdC)
	}
	if err := e.blas.Err(); err != nil {
		return fmt.Errorf("cuda: cuBLAS gemm (%s): %v", dp.p.Instrs[l.Instr].Node, err)
	}
	return nil
}

// launchPlanned issues a planned launch; own is its own descriptor on the
// device (ArgOwn), bufs names the engine buffers of ArgBuf arguments.
func (e *Engine[T]) launchPlanned(dp *devProg[T], l Launch, own cu.DevicePtr, bufs map[string]cu.DevicePtr) error {
	a := make(kargs, 0, len(l.Args))
	for _, x := range l.Args {
		switch x.Kind {
		case ArgInt:
			a.i(int(x.Int))
		case ArgFloat:
			a.f(x.Float)
		case ArgSlot:
			a.p(dp.ptr[x.Slot] + cu.DevicePtr(x.Off*e.elem))
		case ArgNull:
			a.p(0)
		case ArgDesc:
			a.p(dp.descs[x.Instr])
		case ArgTable:
			a.p(dp.table)
		case ArgOwn:
			if own == 0 {
				return fmt.Errorf("cuda: %s: no descriptor", l.Kernel)
			}
			a.p(own)
		case ArgBuf:
			p, ok := bufs[x.Name]
			if !ok {
				return fmt.Errorf("cuda: %s: no buffer %q", l.Kernel, x.Name)
			}
			a.p(p)
		}
	}
	return e.launch(l.Kernel, l.Grid, l.Block, l.Shared*e.elem+l.SharedBytes, a)
}
