package models

import (
	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// cpuNet runs a network with hidden layers (graph.MLP) on Gorgonia's CPU
// VM: a training graph of spec.Batch rows with every gradient by
// gorgonia.Grad, and evaluation graphs by row count, all bound to p's
// tensors, which the steps update in place.
type cpuNet[T graph.Float] struct {
	p       *graph.MLPParams[T]
	trained []*graph.Tensor[T] // p.Trained(), in the training graph's gradient order
	loss    graph.Loss
	lambda  float64
	batch   int
	splits  engine.Splits[T]
	xb, yb  []T
	train   *graph.MLP[T]
	eval    map[int]*graph.MLP[T]
}

// cpuNetFactory is the "cpu" kind's engine of networks with hidden layers.
func cpuNetFactory() engine.NetFactory {
	return engine.NetFactory{
		Float32: func(p *graph.MLPParams[float32], s engine.Spec, splits engine.Splits[float32]) (engine.NetEngine[float32], error) {
			return newCPUNet(p, s, splits)
		},
		Float64: func(p *graph.MLPParams[float64], s engine.Spec, splits engine.Splits[float64]) (engine.NetEngine[float64], error) {
			return newCPUNet(p, s, splits)
		},
	}
}

func newCPUNet[T graph.Float](p *graph.MLPParams[T], spec engine.Spec, splits engine.Splits[T]) (*cpuNet[T], error) {
	train, err := graph.NewMLP(graph.MLPConfig{Loss: spec.Loss, Rows: spec.Batch, Grad: true, Train: true}, p)
	if err != nil {
		return nil, err
	}
	return &cpuNet[T]{p: p, trained: p.Trained(), loss: spec.Loss, lambda: spec.Lambda, batch: spec.Batch, splits: splits, train: train, eval: map[int]*graph.MLP[T]{}}, nil
}

// Step runs the training graph on the batch and applies θ ← θ − η ∂cost/∂θ
// to every trained tensor (the cost's gradient holds 2λW: the graph
// differentiates the regularized cost), then moves the running averages
// of the batch statistics.
func (e *cpuNet[T]) Step(b engine.Batch[T], eta float64) (float64, error) {
	x, y, err := batchData(e.splits, b, e.batch, &e.xb, &e.yb)
	if err != nil {
		return 0, err
	}
	if err := e.train.Run(x, y, e.lambda); err != nil {
		return 0, err
	}
	for i, t := range e.trained {
		graph.Axpy(T(-eta), e.train.Grad(i), t.Data)
	}
	e.train.UpdateRunning()
	return e.train.Cost(), nil
}

// Evaluate runs the evaluation graphs (batch normalization from the
// running averages) over the split in blocks of evalBlock rows.
func (e *cpuNet[T]) Evaluate(split string) (engine.Eval, error) {
	s, err := e.splits.Lookup(split)
	if err != nil {
		return engine.Eval{}, err
	}
	return evaluateBlocks(s, e.p.Arch.Out, e.lambda, e.evalNet)
}

func (e *cpuNet[T]) evalNet(rows int) (*graph.MLP[T], error) {
	if n, ok := e.eval[rows]; ok {
		return n, nil
	}
	n, err := graph.NewMLP(graph.MLPConfig{Loss: e.loss, Rows: rows}, e.p)
	if err != nil {
		return nil, err
	}
	e.eval[rows] = n
	return n, nil
}

func (e *cpuNet[T]) Params() (*graph.MLPParams[T], error) { return e.p, nil }

func (e *cpuNet[T]) Close() error { return closeGraphs(e.train, e.eval) }
