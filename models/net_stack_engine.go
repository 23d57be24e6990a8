package models

import (
	"fmt"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// cpuNetStack runs a graph.MLPStack on Gorgonia's CPU VM: the stacked
// engine of networks with hidden layers of the device kind "cpu". Each
// member's update, running averages and evaluation are the lone cpuNet's,
// on its own tensors, so that a member trained in a stack follows the lone
// run (bit for bit where the first hidden layer's width is a multiple of
// 10: TestNetStackTrainsAsAlone).
type cpuNetStack[T graph.Float] struct {
	sp       *graph.MLPStackParams[T]
	trained  [][]*graph.Tensor[T] // per member: its Trained(), the graph's gradient order
	spec     engine.StackSpec
	losses   []graph.Loss
	lambdas  []float64
	frozen   []bool
	splits   engine.Splits[T]
	xb, yb   []T
	train    *graph.MLPStack[T]
	eval     map[int]*graph.MLPStack[T] // by row count
	evalRows int                        // rows per evaluation run: netStackEvalRows(M), even
}

// cpuNetStackFactory is the "cpu" kind's stacked engine of networks with
// hidden layers.
func cpuNetStackFactory() engine.NetStackFactory {
	return engine.NetStackFactory{
		Float32: func(ps []*graph.MLPParams[float32], s engine.StackSpec, splits engine.Splits[float32]) (engine.NetStackEngine[float32], error) {
			return newCPUNetStack(ps, s, splits)
		},
		Float64: func(ps []*graph.MLPParams[float64], s engine.StackSpec, splits engine.Splits[float64]) (engine.NetStackEngine[float64], error) {
			return newCPUNetStack(ps, s, splits)
		},
	}
}

func newCPUNetStack[T graph.Float](ps []*graph.MLPParams[T], spec engine.StackSpec, splits engine.Splits[T]) (*cpuNetStack[T], error) {
	sp, err := graph.NewMLPStackParams(ps)
	if err != nil {
		return nil, err
	}
	m := len(ps)
	e := &cpuNetStack[T]{sp: sp, spec: spec, frozen: make([]bool, m), splits: splits,
		eval: map[int]*graph.MLPStack[T]{}, evalRows: netStackEvalRows(m)}
	for i, q := range sp.Members {
		e.trained = append(e.trained, q.Trained())
		e.losses = append(e.losses, spec.Members[i].Loss)
		e.lambdas = append(e.lambdas, spec.Members[i].Lambda)
	}
	e.train, err = graph.NewMLPStack(graph.MLPStackConfig{Losses: e.losses, Rows: spec.Batch, Grad: true, Train: true}, sp)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Step runs the training graph on the batch and, for each member not
// frozen, applies the lone cpuNet's update θ ← θ − η ∂cost/∂θ to every
// trained tensor and then moves its running averages.
func (e *cpuNetStack[T]) Step(b engine.Batch[T], etas, costs []float64) error {
	x, y, err := batchData(e.splits, b, e.spec.Batch, &e.xb, &e.yb)
	if err != nil {
		return err
	}
	if err := e.train.Run(x, y, e.lambdas); err != nil {
		return err
	}
	// The members split over two goroutines, as cpuStack's: each touches
	// only its own tensors (and its own ∂W1 buffer in the graph).
	members := func(from, to int) {
		for m := from; m < to; m++ {
			costs[m] = e.train.Cost(m)
			if e.frozen[m] {
				continue
			}
			for i, t := range e.trained[m] {
				graph.Axpy(T(-etas[m]), e.train.Grad(m, i), t.Data)
			}
			e.train.UpdateRunning(m)
		}
	}
	inHalves(len(e.trained), members)
	return nil
}

// Evaluate evaluates every member over the split as the lone cpuNet does
// (evaluateBlocks: blocks of evalBlock rows, batch normalization from the
// running averages), each block run as sub-blocks of netStackEvalRows(M)
// rows whose row losses are summed as one block's
// (graph.MLPStack.AddLosses) and whose cost is T(loss) + λΣ‖W‖², the
// lone graph's one addition.
func (e *cpuNetStack[T]) Evaluate(split string, evs []engine.Eval) error {
	s, err := e.splits.Lookup(split)
	if err != nil {
		return err
	}
	n := s.Len()
	if n == 0 {
		return fmt.Errorf("evaluating %s: no samples", s.Name)
	}
	m, k := len(e.trained), e.sp.Arch.Out
	lossSum, reg, correct := make([]float64, m), make([]float64, m), make([]int, m)
	sums, regs := make([]T, m), make([]T, m)
	for from := 0; from < n; from += evalBlock {
		to := min(from+evalBlock, n)
		clear(sums)
		for lo := from; lo < to; lo += e.evalRows {
			hi := min(lo+e.evalRows, to)
			net, err := e.evalStack(hi - lo)
			if err != nil {
				return err
			}
			b := s.Rows(lo, hi)
			if err := net.Run(b.X, b.Y, e.lambdas); err != nil {
				return err
			}
			net.AddLosses(sums)
			for i := range m {
				correct[i] += countCorrect(net.Scores(i), b.Labels, k)
				regs[i] = net.Reg(i)
			}
		}
		for i := range m {
			loss := graph.MeanOf(sums[i], to-from)
			lossSum[i] += loss * float64(to-from)
			reg[i] = float64(T(loss)+regs[i]) - loss
		}
	}
	for i := range m {
		loss := lossSum[i] / float64(n)
		evs[i] = engine.Eval{Loss: loss, Cost: loss + reg[i], Correct: correct[i], N: n}
	}
	return nil
}

// netStackEvalRows is the number of rows of one evaluation run of a stack
// of m networks: evalBlock/m, at least 100, so that the shared first
// layer's rows × (m·h1) scores hold about what a lone block's rows × h1
// do. It is even: the products take rows in pairs, so sub-blocks of an
// even number of rows give every row the bits it has in the lone block.
func netStackEvalRows(m int) int {
	return max(evalBlock/max(m, 1), 100) / 2 * 2
}

func (e *cpuNetStack[T]) evalStack(rows int) (*graph.MLPStack[T], error) {
	if s, ok := e.eval[rows]; ok {
		return s, nil
	}
	s, err := graph.NewMLPStack(graph.MLPStackConfig{Losses: e.losses, Rows: rows}, e.sp)
	if err != nil {
		return nil, err
	}
	e.eval[rows] = s
	return s, nil
}

func (e *cpuNetStack[T]) Freeze(m int) { e.frozen[m] = true }

func (e *cpuNetStack[T]) Params() ([]*graph.MLPParams[T], error) { return e.sp.Members, nil }

func (e *cpuNetStack[T]) Close() error { return closeGraphs(e.train, e.eval) }
