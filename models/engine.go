package models

import (
	"fmt"
	"unsafe"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// evalBlock is the largest number of rows evaluated by one graph run: big
// enough that the matrix product dominates, small enough that the n×K
// intermediates of the graph stay a few MB.
const evalBlock = 10000

// cpuEngine runs the Gorgonia graphs on Gorgonia's CPU VM (TapeMachine).
type cpuEngine[T graph.Float] struct {
	p         *graph.Params[T]
	loss      graph.Loss
	lambda    float64
	tapeReset bool // engine.Tuning.TapeReset, for every graph
	batch     int
	splits    engine.Splits[T] // what the steps' batches name
	xb, yb    []T              // a shuffled batch, gathered
	train     *graph.Net[T]
	eval      map[int]*graph.Net[T] // by row count
}

// NewCPUEngine returns an Engine that runs on Gorgonia's CPU VM and updates
// p in place; its steps read the rows of splits.
func NewCPUEngine[T graph.Float](p *graph.Params[T], loss graph.Loss, lambda float64, batch int, splits ...*engine.Split[T]) (engine.Engine[T], error) {
	return newCPUEngine(p, engine.Spec{Device: "cpu", Loss: loss, Lambda: lambda, Batch: batch}, splits)
}

// CPUFactory is the factory of the engines of the device kind "cpu", for
// main to register (engine.Register("cpu", models.CPUFactory())).
func CPUFactory() engine.Factory {
	return engine.Factory{
		Float32: func(p *graph.Params[float32], s engine.Spec, splits engine.Splits[float32]) (engine.Engine[float32], error) {
			return newCPUEngine(p, s, splits)
		},
		Float64: func(p *graph.Params[float64], s engine.Spec, splits engine.Splits[float64]) (engine.Engine[float64], error) {
			return newCPUEngine(p, s, splits)
		},
		Stack:    CPUStackFactory(),
		Net:      cpuNetFactory(),
		NetStack: cpuNetStackFactory(),
	}
}

// newCPUEngine is NewCPUEngine for a whole spec, its tuning included (the
// engine of the device kind "cpu").
func newCPUEngine[T graph.Float](p *graph.Params[T], spec engine.Spec, splits engine.Splits[T]) (*cpuEngine[T], error) {
	tapeReset := spec.Tuning.TapeReset
	train, err := graph.NewNet(graph.NetConfig{Loss: spec.Loss, Rows: spec.Batch, Grad: true, Lean: true, TapeReset: tapeReset}, p)
	if err != nil {
		return nil, err
	}
	return &cpuEngine[T]{p: p, loss: spec.Loss, lambda: spec.Lambda, tapeReset: tapeReset, batch: spec.Batch, splits: splits, train: train, eval: map[int]*graph.Net[T]{}}, nil
}

func (e *cpuEngine[T]) Step(b engine.Batch[T], eta float64) (float64, error) {
	x, y, err := e.batchData(b)
	if err != nil {
		return 0, err
	}
	if err := e.train.Run(x, y, e.lambda); err != nil {
		return 0, err
	}
	// The update is ours, not a Gorgonia solver's: VanillaSolver would
	// regularize b too and divide by the batch size a second time.
	// W ← (1−2ηλ)W − η ∂data/∂W: the training graph leaves 2λW out of ∂W
	// (NetConfig.Lean).
	update(e.p, e.lambda, eta, e.train.GradW(), e.train.GradB())
	return e.train.Cost(), nil
}

// update applies a gradient step to p: W ← (1−2ηλ)W − η gW (one pass:
// the bits of the scaling followed by the axpy, and of no scaling at all
// when λ = 0), b ← b − η gB.
func update[T graph.Float](p *graph.Params[T], lambda, eta float64, gW, gB []T) {
	a, b := updateCoefs[T](lambda, eta)
	graph.ScaleAxpy(a, p.W, b, gW)
	graph.Axpy(b, gB, p.B)
}

// updateCoefs returns update's a and b: W ← a W + b ∂W, b ← b + b ∂b.
func updateCoefs[T graph.Float](lambda, eta float64) (a, b T) {
	a = T(1)
	if lambda != 0 {
		a = T(1 - 2*eta*lambda)
	}
	return a, T(-eta)
}

// batchData returns the inputs and one-hot labels of b: its own, a view of
// consecutive rows of its split (no copy), or its rows gathered.
func (e *cpuEngine[T]) batchData(b engine.Batch[T]) (x, y []T, err error) {
	return batchData(e.splits, b, e.batch, &e.xb, &e.yb)
}

// batchData returns the inputs and one-hot labels of b, a batch of rows
// rows of one of splits: its own, a view of consecutive rows of its split
// (no copy), or its rows gathered into *xb and *yb (allocated on first
// use).
func batchData[T graph.Float](splits engine.Splits[T], b engine.Batch[T], rows int, xb, yb *[]T) (x, y []T, err error) {
	s, err := splits.Resolve(b, rows)
	if err != nil || s == nil {
		return b.X, b.Y, err
	}
	n := s.Len()
	d, k := len(s.X)/n, len(s.Y)/n
	if b.Rows == nil {
		from, to := b.Start, b.Start+rows
		return s.X[from*d : to*d], s.Y[from*k : to*k], nil
	}
	if *xb == nil {
		*xb, *yb = make([]T, rows*d), make([]T, rows*k)
	}
	engine.Gather(*xb, s.X, b.Rows, d)
	engine.Gather(*yb, s.Y, b.Rows, k)
	return *xb, *yb, nil
}

func (e *cpuEngine[T]) Evaluate(split string) (engine.Eval, error) {
	s, err := e.splits.Lookup(split)
	if err != nil {
		return engine.Eval{}, err
	}
	return evaluateBlocks(s, e.p.K, e.lambda, e.evalNet)
}

// evalGraph is what evaluateBlocks runs: a compiled graph of a fixed
// number of rows (graph.Net, graph.MLP).
type evalGraph[T graph.Float] interface {
	Run(x, y []T, lambda float64) error
	Loss() float64
	Cost() float64
	Scores() []T
}

// evaluateBlocks evaluates split s of k classes in blocks of evalBlock
// rows, each run on the graph of its row count from graphOf: the mean
// loss, the cost and the correct count.
func evaluateBlocks[T graph.Float, G evalGraph[T]](s *engine.Split[T], k int, lambda float64, graphOf func(rows int) (G, error)) (engine.Eval, error) {
	ev := engine.Eval{N: s.Len()}
	if ev.N == 0 {
		return ev, fmt.Errorf("evaluating %s: no samples", s.Name)
	}
	var lossSum, reg float64
	for from := 0; from < ev.N; from += evalBlock {
		to := min(from+evalBlock, ev.N)
		net, err := graphOf(to - from)
		if err != nil {
			return ev, err
		}
		b := s.Rows(from, to)
		if err := net.Run(b.X, b.Y, lambda); err != nil {
			return ev, err
		}
		lossSum += net.Loss() * float64(to-from)
		reg = net.Cost() - net.Loss()
		ev.Correct += countCorrect(net.Scores(), b.Labels, k)
	}
	ev.Loss = lossSum / float64(ev.N)
	ev.Cost = ev.Loss + reg
	return ev, nil
}

// closeGraphs closes a training graph and the evaluation graphs, returning
// the first error.
func closeGraphs[G interface{ Close() error }](train G, eval map[int]G) error {
	err := train.Close()
	for _, n := range eval {
		if e2 := n.Close(); err == nil {
			err = e2
		}
	}
	return err
}

func (e *cpuEngine[T]) evalNet(rows int) (*graph.Net[T], error) {
	if n, ok := e.eval[rows]; ok {
		return n, nil
	}
	n, err := graph.NewNet(graph.NetConfig{Loss: e.loss, Rows: rows, TapeReset: e.tapeReset}, e.p)
	if err != nil {
		return nil, err
	}
	e.eval[rows] = n
	return n, nil
}

func (e *cpuEngine[T]) Params() (*graph.Params[T], error) { return e.p, nil }

func (e *cpuEngine[T]) Close() error { return closeGraphs(e.train, e.eval) }

// countCorrect counts the rows of the n×k scores whose arg max (the first,
// on ties, as NumPy's argmax) is the label.
func countCorrect[T graph.Float](scores []T, labels []uint8, k int) int {
	correct := 0
	for i, y := range labels {
		row := scores[i*k : (i+1)*k]
		best := 0
		for c := 1; c < k; c++ {
			if row[c] > row[best] {
				best = c
			}
		}
		if best == int(y) {
			correct++
		}
	}
	return correct
}

// RunEpoch runs the gradient steps of one epoch over s (a split eng was
// built with) as Train does without shuffling: consecutive batches of
// batch rows, views into s (no copy), a last partial batch dropped.
// Benchmarks time it.
func RunEpoch[T graph.Float](eng engine.Engine[T], s *engine.Split[T], batch int, eta float64) error {
	n := s.Len()
	if n == 0 || batch < 1 || batch > n {
		return fmt.Errorf("epoch over %d rows in batches of %d", n, batch)
	}
	for from := 0; from+batch <= n; from += batch {
		if _, err := eng.Step(engine.Batch[T]{Split: s.Name, Start: from}, eta); err != nil {
			return err
		}
	}
	return nil
}

// EpochFLOPs is the arithmetic of the matrix products of one epoch of n
// samples of d inputs and k classes: the scores X Wᵀ and the gradient
// Gᵀ X, 2·n·d·k each. The rest (softmax or hinge, bias, update) is
// O(n·k + k·d) and left out.
func EpochFLOPs(n, d, k int) float64 { return 4 * float64(n) * float64(d) * float64(k) }

// MemoryLimit returns a soft limit for the Go runtime's heap
// (debug.SetMemoryLimit) for a process that trains on d: 1.6× the bytes of
// the three splits' inputs X in the dtype. The splits themselves (X, the
// raw pixels, the one-hot labels) are most of the live heap, about 1.36×
// X in float32; without a limit the collector lets the steps' garbage grow
// the heap to twice that (GOGC=100), about 2.3× the splits' bytes at the
// end of a default 40-epoch run. At 1.45× the goal sat on the live heap:
// grid16 in float32 collected 510 times in 15 s, and 1.6× ran it 8–10 %
// faster for 10 % more peak memory.
func MemoryLimit[T graph.Float](d *Prepared[T]) int64 { return StackMemoryLimit(d, 0) }

// StackMemoryLimit is MemoryLimit for a stack of m members: room for ten
// times the members' parameters on top (the parameters, their gradient and
// its copy, the best epoch's, the checkpoint's float64 copies). Without it
// a 64-member float32 stack peaked at 1.9× a lone run's memory: its
// evaluations' garbage grew the heap to twice the data.
func StackMemoryLimit[T graph.Float](d *Prepared[T], m int) int64 {
	var z T
	size := int64(unsafe.Sizeof(z))
	var n int64
	for _, s := range []*engine.Split[T]{d.Train, d.Val, d.Test} {
		if s != nil {
			n += int64(len(s.X)) * size
		}
	}
	params := int64(len(d.Train.Y)/max(d.Train.Len(), 1)) * int64(len(d.Train.X)/max(d.Train.Len(), 1)) * size
	return n*160/100 + 10*int64(m)*params
}
