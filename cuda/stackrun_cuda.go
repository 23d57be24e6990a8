//go:build gtrain_cuda

package cuda

import (
	"fmt"
	"math"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/gtrain/gtrain/models/engine"
)

// ---- the stacked engine's steps and evaluations ----

// Step implements engine.StackEngine: the rows of b as the lone Step
// finds them (a resident split read in place, other batches uploaded),
// the members' factors uploaded (StackFactors: 32 bytes a member), one
// graph launch and the M costs read back.
func (s *Stack[T]) Step(b engine.Batch[T], etas, costs []float64) error {
	m := len(s.members)
	switch {
	case s.train == nil:
		return fmt.Errorf("cuda: the stack was built without a training batch size")
	case len(etas) != m || len(costs) != m:
		return fmt.Errorf("cuda: a step of a stack of %d members with %d rates and %d costs", m, len(etas), len(costs))
	}
	e := s.e
	leave, err := e.d.enter()
	if err != nil {
		return err
	}
	defer leave()
	if err := e.pushParams(); err != nil {
		return err
	}
	e.paramsOnHost = false
	src, row, err := e.stepSource(b)
	if err != nil {
		return err
	}
	g, err := s.stepGraph(src)
	if err != nil {
		return err
	}
	StackFactors(s.hostFac, s.spec.Members, etas, s.frozen)
	if err := e.put(s.fac, unsafe.Pointer(&s.hostFac[0]), 8*len(s.hostFac)); err != nil {
		return err
	}
	step, err := e.seek(src, row, math.MaxInt)
	if err != nil {
		return err
	}
	if err := g.launch(&e.stream); err != nil {
		e.next.valid = false
		return err
	}
	if err := e.get(unsafe.Pointer(&s.hostCosts[0]), s.costs, 8*m); err != nil {
		e.next.valid = false
		return err
	}
	if err := e.sync(); err != nil {
		e.next.valid = false
		return err
	}
	e.stepped(src, row, step)
	copy(costs, s.hostCosts)
	return nil
}

// stepGraph returns the captured stacked step reading from src.
func (s *Stack[T]) stepGraph(src *devSplit[T]) (*execGraph, error) {
	e := s.e
	return e.captured(graphKey{src: src.x}, func() error {
		// Every member frozen: W and b do not move.
		for m := range s.members {
			copy(s.hostFac[4*m:4*m+4], []float64{1, 0, 0, 1})
		}
		if err := e.put(s.fac, unsafe.Pointer(&s.hostFac[0]), 8*len(s.hostFac)); err != nil {
			return err
		}
		if err := e.setCtr(0); err != nil {
			return err
		}
		return s.issueStep(src)
	}, func() error { return s.issueStep(src) })
}

// issueStep issues one stacked step reading from src: gather and
// repeats, the program, norms, costs and updates.
func (s *Stack[T]) issueStep(src *devSplit[T]) error {
	e, sp := s.e, s.train
	bufs := map[string]cu.DevicePtr{"xs": src.x, "ys": src.y, "ctr": e.ctr, "etas": e.eta, "cur": e.curEta,
		"yb": s.yb, "fac": s.fac, "sq": s.sq, "mcosts": s.costs}
	return s.run(sp, bufs)
}

// run issues sp's pre launches, its program and its post launches.
func (s *Stack[T]) run(sp *stackProg[T], bufs map[string]cu.DevicePtr) error {
	e := s.e
	for _, l := range sp.pre {
		if err := e.launchPlanned(sp.dp, l, 0, bufs); err != nil {
			return err
		}
	}
	if err := e.exec(sp.dp); err != nil {
		return err
	}
	for _, l := range sp.post {
		if err := e.launchPlanned(sp.dp, l, 0, bufs); err != nil {
			return err
		}
	}
	return nil
}

// Evaluate implements engine.StackEngine: the split is made resident;
// per block of stackEvalRows(M) rows one run of the evaluation program,
// the correct counts added up on the device and the M data terms read
// back; at the end each member's ‖W‖² and count.
func (s *Stack[T]) Evaluate(name string, evs []engine.Eval) error {
	split, err := s.e.hostSplits.Lookup(name)
	if err != nil {
		return err
	}
	n, m := split.Len(), len(s.members)
	switch {
	case n == 0:
		return fmt.Errorf("evaluating %s: no samples", split.Name)
	case len(evs) != m:
		return fmt.Errorf("cuda: an evaluation of a stack of %d members into %d", m, len(evs))
	}
	e := s.e
	leave, err := e.d.enter()
	if err != nil {
		return err
	}
	defer leave()
	if err := e.pushParams(); err != nil {
		return err
	}
	src, err := e.resident(split)
	if err != nil {
		return err
	}
	if err := cu.MemsetD8Async(s.counts, 0, int64(8*m), e.stream); err != nil {
		return err
	}
	d, k := e.p.D, s.k
	sums := newStackEvalSums(m)
	data := make([]float64, m)
	var sp *stackProg[T]
	for from := 0; from < n; from += s.evalRows {
		rows := min(s.evalRows, n-from)
		if sp, err = s.evalProg(rows); err != nil {
			return err
		}
		sp.dp.ptr[sp.x] = src.x + cu.DevicePtr(from*d*e.elem)
		sp.dp.tableDirty = true
		bufs := map[string]cu.DevicePtr{"ys": src.y + cu.DevicePtr(from*k*e.elem), "labels": src.lab + cu.DevicePtr(4*from), "counts": s.counts}
		if err := s.run(sp, bufs); err != nil {
			return err
		}
		for _, sg := range sp.segs {
			v := sg.data
			if err := e.get(unsafe.Pointer(&s.hostData[sg.from]), sp.dp.ptr[v.Slot]+cu.DevicePtr(v.Off*e.elem), sg.n*e.elem); err != nil {
				return err
			}
		}
		if err := e.sync(); err != nil {
			return err
		}
		for i, v := range s.hostData {
			data[i] = float64(v)
		}
		sums.add(data, rows)
	}
	bufs := map[string]cu.DevicePtr{"sq": s.sq}
	for _, l := range sp.norms {
		if err := e.launchPlanned(sp.dp, l, 0, bufs); err != nil {
			return err
		}
	}
	if err := e.get(unsafe.Pointer(&s.hostSq[0]), s.sq, m*e.elem); err != nil {
		return err
	}
	if err := e.get(unsafe.Pointer(&s.hostCounts[0]), s.counts, 8*m); err != nil {
		return err
	}
	if err := e.sync(); err != nil {
		return err
	}
	stackEvals(evs, sums, n, s.hostCounts, s.hostSq, s.spec.Members)
	return nil
}

func (s *Stack[T]) evalProg(rows int) (*stackProg[T], error) {
	if sp, ok := s.eval[rows]; ok {
		return sp, nil
	}
	sp, err := s.newProg(rows, false)
	if err != nil {
		return nil, err
	}
	s.eval[rows] = sp
	return sp, nil
}
