//go:build gtrain_cuda

package cuda

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// ---- evaluation, and the gradients of one run for gradcheck ----

// Evaluate implements engine.Engine: the split is uploaded once; per block
// of rows one run of the lowered evaluation graph, a count of correct
// arg maxes, and three scalars read back.
func (e *Engine[T]) Evaluate(split string) (engine.Eval, error) {
	s, err := e.hostSplits.Lookup(split)
	if err != nil {
		return engine.Eval{}, err
	}
	ev := engine.Eval{N: s.Len()}
	if ev.N == 0 {
		return ev, fmt.Errorf("evaluating %s: no samples", s.Name)
	}
	leave, err := e.d.enter()
	if err != nil {
		return ev, err
	}
	defer leave()
	if err := e.pushParams(); err != nil {
		return ev, err
	}
	src, err := e.resident(s)
	if err != nil {
		return ev, err
	}
	const block = 10000
	d, k := e.p.D, e.classes
	var lossSum, reg float64
	for from := 0; from < ev.N; from += block {
		rows := min(block, ev.N-from)
		dp, err := e.evalProg(rows)
		if err != nil {
			return ev, err
		}
		e.bindInputs(dp, src.x+cu.DevicePtr(from*d*e.elem), src.y+cu.DevicePtr(from*k*e.elem))
		if err := e.exec(dp); err != nil {
			return ev, err
		}
		if err := cu.MemsetD8Async(e.count, 0, 8, e.stream); err != nil {
			return ev, err
		}
		bufs := map[string]cu.DevicePtr{"labels": src.lab + cu.DevicePtr(4*from), "count": e.count}
		if err := e.launchPlanned(dp, CorrectLaunch(dp.p), 0, bufs); err != nil {
			return ev, err
		}
		lo, co := dp.p.Outputs["loss"], dp.p.Outputs["cost"]
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.io.scalar[0]), dp.ptr[lo.Slot]+cu.DevicePtr(lo.Off*e.elem), int64(e.elem), e.stream); err != nil {
			return ev, err
		}
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.io.scalar[1]), dp.ptr[co.Slot]+cu.DevicePtr(co.Off*e.elem), int64(e.elem), e.stream); err != nil {
			return ev, err
		}
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.io.count), e.count, 8, e.stream); err != nil {
			return ev, err
		}
		if err := e.sync(); err != nil {
			return ev, err
		}
		loss, cost := float64(e.io.scalar[0]), float64(e.io.scalar[1])
		lossSum += loss * float64(rows)
		reg = cost - loss
		ev.Correct += int(e.io.count)
	}
	ev.Loss = lossSum / float64(ev.N)
	ev.Cost = ev.Loss + reg
	return ev, nil
}

func (e *Engine[T]) evalProg(rows int) (*devProg[T], error) {
	if dp, ok := e.eval[rows]; ok {
		return dp, nil
	}
	net, err := graph.NewNet(graph.NetConfig{Loss: e.spec.Loss, Rows: rows}, e.p)
	if err != nil {
		return nil, err
	}
	prog, err := lowerForDevice(net, e.spec.Tuning)
	net.Close()
	if err != nil {
		return nil, err
	}
	dp, err := e.newProg(prog)
	if err != nil {
		return nil, err
	}
	e.eval[rows] = dp
	return dp, nil
}

// Gradients runs the training graph once on (x, y) without an update and
// returns cost, ∂cost/∂W and ∂cost/∂b, computed on the GPU (for gradcheck).
func Gradients[T graph.Float](device string, p *graph.Params[T], loss graph.Loss, lambda float64, x, y []T) (cost float64, dW, dB []T, err error) {
	return gradients(engine.Spec{Device: device, Loss: loss, Lambda: lambda}, p, x, y)
}

// gradients is Gradients on an engine of spec (its Batch set to the rows
// of y), tuning included.
func gradients[T graph.Float](spec engine.Spec, p *graph.Params[T], x, y []T) (cost float64, dW, dB []T, err error) {
	spec.Batch = len(y) / p.K
	e, err := NewEngine(p.Clone(), spec)
	if err != nil {
		return 0, nil, nil, err
	}
	defer e.Close()
	leave, err := e.d.enter()
	if err != nil {
		return 0, nil, nil, err
	}
	defer leave()
	if err := e.upload(e.xb, x); err != nil {
		return 0, nil, nil, err
	}
	if err := e.upload(e.yb, y); err != nil {
		return 0, nil, nil, err
	}
	if err := e.exec(e.train); err != nil {
		return 0, nil, nil, err
	}
	out := e.train.p.Outputs
	dW, dB = make([]T, p.K*p.D), make([]T, p.K)
	var c [1]T
	for _, r := range []struct {
		v   View
		dst unsafe.Pointer
		n   int
	}{{out["dW"], unsafe.Pointer(&dW[0]), len(dW)}, {out["dB"], unsafe.Pointer(&dB[0]), len(dB)}, {out["cost"], unsafe.Pointer(&c[0]), 1}} {
		if err := cu.MemcpyDtoHAsync(r.dst, e.train.ptr[r.v.Slot]+cu.DevicePtr(r.v.Off*e.elem), int64(r.n*e.elem), e.stream); err != nil {
			return 0, nil, nil, err
		}
	}
	if err := e.sync(); err != nil {
		return 0, nil, nil, err
	}
	return float64(c[0]), dW, dB, nil
}
