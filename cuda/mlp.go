package cuda

import (
	"fmt"
	"strconv"

	"github.com/gtrain/gtrain/graph"
	G "gorgonia.org/gorgonia"
)

// LowerMLP lowers a compiled graph.MLP built over the parameters p: its
// pruned graph, with a slot for X, Y and each of p's tensors the graph
// reads (named as the tensor: W1, b1, gamma1, beta1, and mean1, var1 in
// an evaluation graph of a normalized net), λ a host scalar, and the
// outputs scores, loss, cost, d<name> for each trained tensor when the
// MLP has gradients, and batchmean<l>, batchvar<l> for each normalized
// layer l (from 1) of a training graph.
func LowerMLP[T graph.Float](m *graph.MLP[T], p *graph.MLPParams[T]) (*Program, error) {
	ns := m.Nodes()
	for _, t := range p.Tensors {
		n, ok := ns.Params[t.Name]
		if !ok && t.Kind.Trained() {
			return nil, fmt.Errorf("cuda: lowering the %s graph: it reads no %s", p.Arch, t.Name)
		}
		if ok && n.Shape().TotalSize() != len(t.Data) {
			return nil, fmt.Errorf("cuda: lowering the %s graph: its %s holds %d values, the parameters' %d", p.Arch, t.Name, n.Shape().TotalSize(), len(t.Data))
		}
	}
	if len(ns.Params) > len(p.Tensors) {
		return nil, fmt.Errorf("cuda: lowering the %s graph: it reads %d tensors, the parameters have %d", p.Arch, len(ns.Params), len(p.Tensors))
	}
	in := Inputs{Graph: m.Graph(), X: ns.X, Y: ns.Y, Lambda: ns.Lambda, Params: ns.Params, Outputs: map[string]*G.Node{
		"scores": ns.Scores, "loss": ns.Loss, "cost": ns.Cost,
	}}
	for name, d := range ns.Grads {
		in.Outputs["d"+name] = d
	}
	for l := range ns.BatchMean {
		if ns.BatchMean[l] != nil {
			in.Outputs["batchmean"+strconv.Itoa(l+1)] = ns.BatchMean[l]
			in.Outputs["batchvar"+strconv.Itoa(l+1)] = ns.BatchVar[l]
		}
	}
	return Lower(in, graph.Dtype[T]())
}
