//go:build gtrain_cuda

package cuda

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/gtrain/gtrain/models/engine"
)

// ---- training: resident splits, captured step graphs, Step, TrainEpoch ----

// resident returns the device copy of hs, one of the engine's splits,
// uploading it the first time its name comes.
func (e *Engine[T]) resident(hs *engine.Split[T]) (*devSplit[T], error) {
	if s, err := e.residentOf(hs); s != nil || err != nil {
		return s, err
	}
	x, y, labels := hs.X, hs.Y, hs.Labels
	n := len(y) / e.classes
	s := &devSplit[T]{n: n, shape: shapeOf(hs)}
	var err error
	if s.x, err = e.alloc(len(x) * e.elem); err != nil {
		return nil, err
	}
	if s.y, err = e.alloc(len(y) * e.elem); err != nil {
		return nil, err
	}
	if s.lab, err = e.alloc(4 * n); err != nil {
		return nil, err
	}
	if err := e.upload(s.x, x); err != nil {
		return nil, err
	}
	if err := e.upload(s.y, y); err != nil {
		return nil, err
	}
	if labels != nil {
		lab := make([]int32, n)
		for i, l := range labels {
			lab[i] = int32(l)
		}
		if err := cu.MemcpyHtoDAsync(s.lab, unsafe.Pointer(&lab[0]), int64(4*n), e.stream); err != nil {
			return nil, err
		}
		if err := e.sync(); err != nil { // lab is Go memory
			return nil, err
		}
	}
	e.splits[hs.Name] = s
	return s, nil
}

// batchData returns the host inputs and one-hot labels of b and the split
// they are consecutive rows of (nil for a batch of its own or gathered
// rows): a view of the split, or its rows gathered into the engine's host
// buffers.
func (e *Engine[T]) batchData(b engine.Batch[T]) (x, y []T, from *engine.Split[T], err error) {
	s, err := e.hostSplits.Resolve(b, e.spec.Batch)
	if err != nil || s == nil {
		return b.X, b.Y, nil, err
	}
	d, k := e.p.D, e.classes
	if b.Rows == nil {
		lo, hi := b.Start, b.Start+e.spec.Batch
		return s.X[lo*d : hi*d], s.Y[lo*k : hi*k], s, nil
	}
	if e.hostXB == nil {
		e.hostXB, e.hostYB = make([]T, e.spec.Batch*d), make([]T, e.spec.Batch*k)
	}
	engine.Gather(e.hostXB, s.X, b.Rows, d)
	engine.Gather(e.hostYB, s.Y, b.Rows, k)
	return e.hostXB, e.hostYB, nil, nil
}

// residentOf returns the device copy of the engine's split hs if it has
// one (Evaluate and TrainEpoch upload it), else nil; an error when hs
// changed length since.
func (e *Engine[T]) residentOf(hs *engine.Split[T]) (*devSplit[T], error) {
	if hs == nil {
		return nil, nil
	}
	s, ok := e.splits[hs.Name]
	if !ok {
		return nil, nil
	}
	return s, sameShape(s.shape, hs)
}

// stepGraph returns the captured training step reading from src (through
// the epoch's order when idx; η per step from etas when perStep).
func (e *Engine[T]) stepGraph(src *devSplit[T], idx, perStep bool) (*execGraph, error) {
	key := graphKey{src: src.x, idx: idx, perStep: perStep}
	if g, ok := e.graphs[key]; ok {
		return g, nil
	}
	if err := e.ensureCosts(1); err != nil {
		return nil, err
	}
	return e.captured(key, func() error {
		// With η = 0, so that W and b do not move.
		saved := e.hostEta
		if err := e.setEta(0); err != nil {
			return err
		}
		if err := e.setCtr(0); err != nil {
			return err
		}
		if err := e.issueStep(src, idx, false); err != nil {
			return err
		}
		if err := e.sync(); err != nil {
			return err
		}
		return e.setEta(saved)
	}, func() error { return e.issueStep(src, idx, perStep) })
}

// captured returns the graph of key, captured the first time from what
// issue issues on the stream; warm issues a step before, outside the
// capture (lazy module and cuBLAS loading), that leaves W and b as they
// are.
func (e *Engine[T]) captured(key graphKey, warm, issue func() error) (*execGraph, error) {
	if g, ok := e.graphs[key]; ok {
		return g, nil
	}
	if err := warm(); err != nil {
		return nil, err
	}
	if err := e.sync(); err != nil {
		return nil, err
	}
	if err := beginCapture(&e.stream); err != nil {
		return nil, err
	}
	ierr := issue()
	g, err := endCapture(&e.stream)
	if ierr != nil {
		g.destroy()
		return nil, ierr
	}
	if err != nil {
		return nil, err
	}
	e.graphs[key] = g
	return g, nil
}

// issueStep issues one training step: gather, program, update.
func (e *Engine[T]) issueStep(src *devSplit[T], idx, perStep bool) error {
	gather, sgd := StepLaunches(e.train.p, idx, perStep)
	etas := e.eta
	if perStep {
		etas = e.etas
	}
	bufs := map[string]cu.DevicePtr{"xs": src.x, "ys": src.y, "idx": e.idx, "ctr": e.ctr, "etas": etas, "cur": e.curEta, "costs": e.costs}
	if err := e.launchPlanned(e.train, gather, 0, bufs); err != nil {
		return err
	}
	if err := e.exec(e.train); err != nil {
		return err
	}
	return e.launchPlanned(e.train, sgd, 0, bufs)
}

func (e *Engine[T]) setEta(eta float64) error {
	if e.etaSet && eta == e.hostEta {
		return nil
	}
	e.hostEta, e.etaSet = eta, true
	e.io.eta = eta
	return cu.MemcpyHtoDAsync(e.eta, unsafe.Pointer(&e.io.eta), 8, e.stream)
}

func (e *Engine[T]) setCtr(row int) error {
	e.next.valid = false
	e.io.ctr = [2]int64{int64(row), 0}
	return cu.MemcpyHtoDAsync(e.ctr, unsafe.Pointer(&e.io.ctr[0]), 16, e.stream)
}

// ensureCosts grows the per-step cost record (steps are one graph launch
// apart, so the buffer is fixed when a graph is captured: it is sized for
// the largest epoch once, before the first capture).
func (e *Engine[T]) ensureCosts(steps int) error {
	if steps <= e.costsCap {
		return nil
	}
	if len(e.graphs) > 0 {
		// Captured graphs hold the old pointer: drop them.
		for k, g := range e.graphs {
			g.destroy()
			delete(e.graphs, k)
		}
	}
	e.next.valid = false
	n := max(steps, 1024)
	p, err := e.alloc(8 * n)
	if err != nil {
		return err
	}
	if e.etas, err = e.alloc(8 * n); err != nil {
		return err
	}
	e.costs, e.costsCap = p, n
	e.hostCost = make([]float64, n)
	return nil
}

// Step implements engine.Engine. A batch of consecutive rows of a split
// that is resident (Evaluate uploads it) is read on the device; any other
// batch (gathered rows, a batch of its own) is uploaded. One graph launch
// and one 8-byte read-back.
func (e *Engine[T]) Step(b engine.Batch[T], eta float64) (float64, error) {
	if e.train == nil {
		return 0, fmt.Errorf("cuda: the engine was built without a training batch size")
	}
	leave, err := e.d.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	if err := e.pushParams(); err != nil {
		return 0, err
	}
	e.paramsOnHost = false
	src, row, err := e.stepSource(b)
	if err != nil {
		return 0, err
	}
	g, err := e.stepGraph(src, false, false)
	if err != nil {
		return 0, err
	}
	if err := e.setEta(eta); err != nil {
		return 0, err
	}
	step, err := e.seek(src, row, e.costsCap)
	if err != nil {
		return 0, err
	}
	if err := g.launch(&e.stream); err != nil {
		e.next.valid = false
		return 0, err
	}
	if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.hostCost[0]), e.costs+cu.DevicePtr(8*step), 8, e.stream); err != nil {
		e.next.valid = false
		return 0, err
	}
	if err := e.sync(); err != nil {
		e.next.valid = false
		return 0, err
	}
	e.stepped(src, row, step)
	return e.hostCost[0], nil
}

// stepSource returns where a step reads the rows of b on the device: a
// resident split and b's first row there, or the staging buffers (row 0)
// b's rows are uploaded to.
func (e *Engine[T]) stepSource(b engine.Batch[T]) (*devSplit[T], int, error) {
	x, y, host, err := e.batchData(b)
	if err != nil {
		return nil, 0, err
	}
	if len(x) != e.spec.Batch*e.p.D || len(y) != e.spec.Batch*e.classes {
		return nil, 0, fmt.Errorf("cuda: Step got %d inputs and %d labels, want %d rows", len(x), len(y), e.spec.Batch)
	}
	if src, err := e.residentOf(host); src != nil || err != nil {
		return src, b.Start, err
	}
	if e.staging == nil {
		s := &devSplit[T]{n: e.spec.Batch}
		if s.x, err = e.alloc(len(x) * e.elem); err != nil {
			return nil, 0, err
		}
		if s.y, err = e.alloc(len(y) * e.elem); err != nil {
			return nil, 0, err
		}
		e.staging = s
	}
	if err := e.upload(e.staging.x, x); err != nil {
		return nil, 0, err
	}
	return e.staging, 0, e.upload(e.staging.y, y)
}

// seek returns the step counter a captured step at row of src finds on
// the device: the step kernels advance the counters, so consecutive
// batches of one split (the trainer's unshuffled epoch) upload nothing;
// otherwise (and at limit steps: the cost record's end) they are set to
// (row, 0).
func (e *Engine[T]) seek(src *devSplit[T], row, limit int) (int, error) {
	if n := e.next; n.valid && n.src == src && n.row == row && n.step < limit {
		return n.step, nil
	}
	return 0, e.setCtr(row)
}

// stepped records where step (of seek) at row of src left the counters.
func (e *Engine[T]) stepped(src *devSplit[T], row, step int) {
	e.next.valid, e.next.src, e.next.row, e.next.step = src != e.staging, src, row+e.spec.Batch, step+1
}

// TrainEpoch runs the steps of one epoch over the engine's split called
// split without a host synchronization between them: the batches are rows
// order[i·B:(i+1)·B] of it (consecutive rows when order is nil), the last
// partial batch dropped; etas holds one learning rate for the epoch or one
// per step. It returns the cost of every step, read back once at the end.
func (e *Engine[T]) TrainEpoch(split string, order []int, etas []float64) ([]float64, error) {
	if e.train == nil {
		return nil, fmt.Errorf("cuda: the engine was built without a training batch size")
	}
	s, err := e.hostSplits.Lookup(split)
	if err != nil {
		return nil, err
	}
	leave, err := e.d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := e.pushParams(); err != nil {
		return nil, err
	}
	e.paramsOnHost = false
	src, err := e.resident(s)
	if err != nil {
		return nil, err
	}
	n := src.n
	if order != nil {
		n = len(order)
		if n > e.idxCap {
			// The graphs that read the order hold the old pointer.
			for k, g := range e.graphs {
				if k.idx {
					g.destroy()
					delete(e.graphs, k)
				}
			}
			if e.idx, err = e.alloc(4 * n); err != nil {
				return nil, err
			}
			e.idxCap = n
		}
		ord := make([]int32, n)
		for i, r := range order {
			if r < 0 || r >= src.n {
				return nil, fmt.Errorf("cuda: order[%d] = %d outside the %d rows of %s", i, r, src.n, s.Name)
			}
			ord[i] = int32(r)
		}
		if err := cu.MemcpyHtoDAsync(e.idx, unsafe.Pointer(&ord[0]), int64(4*n), e.stream); err != nil {
			return nil, err
		}
		if err := e.sync(); err != nil { // ord is Go memory
			return nil, err
		}
	}
	steps := n / e.spec.Batch
	if len(etas) != 1 && len(etas) != steps {
		return nil, fmt.Errorf("cuda: TrainEpoch got %d learning rates for %d steps (want 1 or %d)", len(etas), steps, steps)
	}
	if err := e.ensureCosts(steps); err != nil {
		return nil, err
	}
	perStep := len(etas) > 1
	g, err := e.stepGraph(src, order != nil, perStep)
	if err != nil {
		return nil, err
	}
	if perStep {
		if err := cu.MemcpyHtoDAsync(e.etas, unsafe.Pointer(&etas[0]), int64(8*steps), e.stream); err != nil {
			return nil, err
		}
	} else if err := e.setEta(etas[0]); err != nil {
		return nil, err
	}
	if err := e.setCtr(0); err != nil {
		return nil, err
	}
	for i := 0; i < steps; i++ {
		if err := g.launch(&e.stream); err != nil {
			return nil, err
		}
	}
	if steps > 0 {
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.hostCost[0]), e.costs, int64(8*steps), e.stream); err != nil {
			return nil, err
		}
	}
	if err := e.sync(); err != nil { // also: etas was Go memory
		return nil, err
	}
	return append([]float64(nil), e.hostCost[:steps]...), nil
}
