package models

import (
	"fmt"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// cpuStack runs a graph.Stack on Gorgonia's CPU VM: the stacked engine of
// the device kind "cpu". Each member's update and evaluation are the lone
// cpuEngine's, on its rows of the stacked parameters, so that a member
// trained in a stack follows the lone run bit for bit (TestStackTrainsAsAlone).
type cpuStack[T graph.Float] struct {
	p         *graph.Params[T] // stacked: K = M·k
	members   []*graph.Params[T]
	spec      engine.StackSpec
	losses    []graph.Loss
	k         int
	frozen    []bool
	splits    engine.Splits[T]
	xb, yb    []T
	train     *graph.Stack[T]
	eval      map[int]*graph.Stack[T] // by row count
	scoreBuf  []T
	evalRows  int       // rows per evaluation run: stackEvalRows(M), even
	evalLoss  []float64 // per member, summed over the blocks
	evalCorr  []int
	evalCosts []float64
	// fused: the update forms ∂W itself (graph.UpdateTN, StackConfig.
	// FusedUpdate) where the kernels take the shapes; coefA, coefB, on
	// are its coefficients per member.
	fused        bool
	coefA, coefB []T
	on           []bool
}

// CPUStackFactory is the stacked engines' factory of the device kind
// "cpu" (CPUFactory includes it).
func CPUStackFactory() engine.StackFactory {
	return engine.StackFactory{
		Float32: func(ps []*graph.Params[float32], s engine.StackSpec, splits engine.Splits[float32]) (engine.StackEngine[float32], error) {
			return newCPUStack(ps, s, splits)
		},
		Float64: func(ps []*graph.Params[float64], s engine.StackSpec, splits engine.Splits[float64]) (engine.StackEngine[float64], error) {
			return newCPUStack(ps, s, splits)
		},
	}
}

func newCPUStack[T graph.Float](ps []*graph.Params[T], spec engine.StackSpec, splits engine.Splits[T]) (*cpuStack[T], error) {
	m := len(ps)
	k, d := ps[0].K, ps[0].D
	e := &cpuStack[T]{p: graph.NewParams[T](m*k, d), spec: spec, k: k, frozen: make([]bool, m), splits: splits,
		eval: map[int]*graph.Stack[T]{}, evalLoss: make([]float64, m), evalCorr: make([]int, m), evalCosts: make([]float64, m),
		evalRows: stackEvalRows(m)}
	for i, q := range ps {
		if q.K != k || q.D != d {
			return nil, fmt.Errorf("stack: member %d has K=%d d=%d, member 0 K=%d d=%d", i, q.K, q.D, k, d)
		}
		v := graph.Member(e.p, i, k)
		v.CopyFrom(q)
		e.members = append(e.members, v)
		e.losses = append(e.losses, spec.Members[i].Loss)
	}
	e.fused = graph.UpdateTNApplies[T](spec.Batch, d, k)
	e.coefA, e.coefB, e.on = make([]T, m), make([]T, m), make([]bool, m)
	var err error
	e.train, err = graph.NewStack(graph.StackConfig{Losses: e.losses, Classes: k, Rows: spec.Batch, Grad: true,
		TapeReset: spec.Tuning.TapeReset, FusedUpdate: e.fused}, e.p)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (e *cpuStack[T]) Step(b engine.Batch[T], etas, costs []float64) error {
	x, y, err := batchData(e.splits, b, e.spec.Batch, &e.xb, &e.yb)
	if err != nil {
		return err
	}
	if err := e.train.Run(x, y); err != nil {
		return err
	}
	// The lone cpuEngine's cost and update per member; the members split
	// over two goroutines (memory-bound passes over W; each member's bits
	// are the same on either).
	members := func(from, to int) {
		for m := from; m < to; m++ {
			p, lambda := e.members[m], e.spec.Members[m].Lambda
			costs[m] = graph.MemberCost(e.train.Loss(m), lambda, p.W)
			if !e.frozen[m] && !e.fused {
				update(p, lambda, etas[m], e.train.GradW(m), e.train.GradB(m))
			}
		}
	}
	inHalves(len(e.members), members)
	if !e.fused {
		return nil
	}
	// update's W ← a W − η ∂W for all members in one pass, then its b.
	for m, p := range e.members {
		e.coefA[m], e.coefB[m] = updateCoefs[T](e.spec.Members[m].Lambda, etas[m])
		e.on[m] = !e.frozen[m]
		if e.on[m] {
			graph.Axpy(e.coefB[m], e.train.GradB(m), p.B)
		}
	}
	return e.train.UpdateW(e.coefA, e.coefB, e.on)
}

// inHalves runs members(0, m) as two halves, on two goroutines where a
// product may use two cores (graph.Parallel): the per-member passes after a
// stacked step (cost, update) are memory-bound and independent, so each
// member's bits are the same on either goroutine.
func inHalves(m int, members func(from, to int)) {
	if m < 2 {
		members(0, m)
		return
	}
	graph.Parallel(2, func(h int) {
		if h == 0 {
			members(0, m/2)
		} else {
			members(m/2, m)
		}
	})
}

// Evaluate runs every member over the split: in the lone engine's blocks
// of evalBlock rows, each run as sub-blocks of stackEvalRows(M) rows whose
// row losses are summed as one block's (graph.Stack.AddLosses), so that
// the evaluation is the lone one's bit for bit while the stacked graph's
// intermediates stay the size of a lone block's (rows × M·K values each).
func (e *cpuStack[T]) Evaluate(split string, evs []engine.Eval) error {
	s, err := e.splits.Lookup(split)
	if err != nil {
		return err
	}
	n := s.Len()
	if n == 0 {
		return fmt.Errorf("evaluating %s: no samples", s.Name)
	}
	clear(e.evalLoss)
	clear(e.evalCorr)
	sub := e.evalRows
	sums := make([]T, len(e.members))
	for from := 0; from < n; from += evalBlock {
		to := min(from+evalBlock, n)
		clear(sums)
		for lo := from; lo < to; lo += sub {
			hi := min(lo+sub, to)
			net, err := e.evalStack(hi - lo)
			if err != nil {
				return err
			}
			b := s.Rows(lo, hi)
			if err := net.Run(b.X, b.Y); err != nil {
				return err
			}
			net.AddLosses(sums)
			for m := range e.members {
				e.scoreBuf = net.Scores(e.scoreBuf, m)
				e.evalCorr[m] += countCorrect(e.scoreBuf, b.Labels, e.k)
			}
		}
		for m, p := range e.members {
			loss := graph.MeanOf(sums[m], to-from)
			e.evalLoss[m] += loss * float64(to-from)
			e.evalCosts[m] = graph.MemberEvalCost(loss, e.spec.Members[m].Lambda, p.W) - loss
		}
	}
	for m := range e.members {
		loss := e.evalLoss[m] / float64(n)
		evs[m] = engine.Eval{Loss: loss, Cost: loss + e.evalCosts[m], Correct: e.evalCorr[m], N: n}
	}
	return nil
}

// stackEvalRows is the number of rows of one evaluation run of a stack of
// m members: the lone engine's evalBlock up to 16 members, fewer beyond, so
// that a run's intermediates hold about as many values as at 16 (6 MB
// each in float32; a 64-member stack of 10000-row runs peaked at 2.4× the
// memory of a lone run). It is even: the products take rows in pairs and
// an odd last row is summed another way, so sub-blocks of an even number
// of rows give every row the bits it has in the lone block.
func stackEvalRows(m int) int {
	return max(evalBlock*16/max(m, 16), 100) / 2 * 2
}

func (e *cpuStack[T]) evalStack(rows int) (*graph.Stack[T], error) {
	if s, ok := e.eval[rows]; ok {
		return s, nil
	}
	s, err := graph.NewStack(graph.StackConfig{Losses: e.losses, Classes: e.k, Rows: rows, TapeReset: e.spec.Tuning.TapeReset}, e.p)
	if err != nil {
		return nil, err
	}
	e.eval[rows] = s
	return s, nil
}

func (e *cpuStack[T]) Freeze(m int) { e.frozen[m] = true }

func (e *cpuStack[T]) Params() ([]*graph.Params[T], error) { return e.members, nil }

func (e *cpuStack[T]) Close() error { return closeGraphs(e.train, e.eval) }
