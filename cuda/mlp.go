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
	g := m.Graph()
	in := Inputs{Graph: g, Params: map[string]*G.Node{}}
	byName := map[string]*G.Node{}
	for _, n := range g.AllNodes() {
		if n.Op() == nil {
			if _, dup := byName[n.Name()]; dup {
				return nil, fmt.Errorf("cuda: lowering the %s graph: two inputs called %s", p.Arch, n.Name())
			}
			byName[n.Name()] = n
		}
	}
	in.X, in.Y, in.Lambda = byName["X"], byName["Y"], byName["lambda"]
	if in.X == nil || in.Y == nil || in.Lambda == nil {
		return nil, fmt.Errorf("cuda: lowering the %s graph: no X, Y or lambda input", p.Arch)
	}
	for _, t := range p.Tensors {
		if n := byName[t.Name]; n != nil {
			in.Params[t.Name] = n
		} else if t.Kind.Trained() {
			return nil, fmt.Errorf("cuda: lowering the %s graph: no input %s", p.Arch, t.Name)
		}
	}
	outs, err := mlpOutputs(g, in, p)
	if err != nil {
		return nil, fmt.Errorf("cuda: lowering the %s graph: %w", p.Arch, err)
	}
	in.Outputs = outs
	return Lower(in, graph.Dtype[T]())
}

// mlpOutputs names the nodes the MLP reads. graph.MLP does not expose
// them, so they are told apart by what they depend on: the gradients
// are the trained inputs' Deriv nodes; of the other nodes read, the cost
// is the only one that depends on λ, the loss its first operand, the
// scores the one that depends on the last layer's W, and what is left are
// batch statistics, of the last layer whose W they depend on, the
// variance depending on the mean.
func mlpOutputs[T graph.Float](g *G.ExprGraph, in Inputs, p *graph.MLPParams[T]) (map[string]*G.Node, error) {
	read := map[*G.Node]bool{}
	for _, n := range g.Roots() {
		read[n] = true
	}
	outs := map[string]*G.Node{}
	taken := map[*G.Node]bool{}
	trained := p.Trained()
	withGrad := 0
	for _, t := range trained {
		d := in.Params[t.Name].Deriv()
		if d == nil {
			continue
		}
		if !read[d] {
			return nil, fmt.Errorf("the gradient of %s is not read", t.Name)
		}
		withGrad++
		outs["d"+t.Name] = d
		taken[d] = true
	}
	if withGrad != 0 && withGrad != len(trained) {
		return nil, fmt.Errorf("gradients of %d of the %d trained tensors", withGrad, len(trained))
	}
	deps := dependencies(g)
	var rest []*G.Node
	for _, n := range g.Roots() {
		if !taken[n] {
			rest = append(rest, n)
		}
	}
	pick := func(what string, ok func(n *G.Node) bool) (*G.Node, error) {
		var found *G.Node
		for _, n := range rest {
			if taken[n] || !ok(n) {
				continue
			}
			if found != nil {
				return nil, fmt.Errorf("two nodes read could be the %s: %s and %s", what, found.Name(), n.Name())
			}
			found = n
		}
		if found == nil {
			return nil, fmt.Errorf("no node read is the %s", what)
		}
		taken[found] = true
		return found, nil
	}
	cost, err := pick("cost", func(n *G.Node) bool { return deps(n, in.Lambda) })
	if err != nil {
		return nil, err
	}
	var loss *G.Node
	if ch := nodeChildren(g, cost); len(ch) == 2 && read[ch[0]] && !taken[ch[0]] {
		loss = ch[0]
		taken[loss] = true
	} else {
		return nil, fmt.Errorf("the cost %s is not the loss read plus the regularization", cost.Name())
	}
	layers := p.Arch.Layers()
	weight := func(l int) *G.Node { return in.Params[p.Find(l, graph.Weight).Name] }
	scores, err := pick("scores", func(n *G.Node) bool { return deps(n, weight(layers-1)) })
	if err != nil {
		return nil, err
	}
	outs["scores"], outs["loss"], outs["cost"] = scores, loss, cost
	// Batch statistics, per layer: the nodes read that depend on its W and
	// on no later one's.
	stats := map[int][]*G.Node{}
	for _, n := range rest {
		if taken[n] {
			continue
		}
		l := -1
		for k := 0; k < layers; k++ {
			if deps(n, weight(k)) {
				l = k
			}
		}
		if l < 0 || !p.Arch.Normalized(l) {
			return nil, fmt.Errorf("node %s is read but is none of the MLP's outputs", n.Name())
		}
		stats[l] = append(stats[l], n)
	}
	for l := 0; l < layers; l++ {
		s := stats[l]
		if len(s) == 0 {
			continue
		}
		if len(s) != 2 {
			return nil, fmt.Errorf("layer %d: %d batch statistics read, want the mean and the variance", l+1, len(s))
		}
		mean, vari := s[0], s[1]
		if deps(mean, vari) {
			mean, vari = vari, mean
		}
		if !deps(vari, mean) {
			return nil, fmt.Errorf("layer %d: neither of %s, %s is the variance about the other", l+1, mean.Name(), vari.Name())
		}
		outs["batchmean"+strconv.Itoa(l+1)], outs["batchvar"+strconv.Itoa(l+1)] = mean, vari
	}
	return outs, nil
}

// dependencies returns deps(n, of): whether the value of node n depends on
// node of (n itself excluded), memoized per of.
func dependencies(g *G.ExprGraph) func(n, of *G.Node) bool {
	memo := map[[2]int64]bool{}
	var deps func(n, of *G.Node) bool
	deps = func(n, of *G.Node) bool {
		key := [2]int64{n.ID(), of.ID()}
		if v, ok := memo[key]; ok {
			return v
		}
		found := false
		for _, c := range nodeChildren(g, n) {
			if c == of || deps(c, of) {
				found = true
				break
			}
		}
		memo[key] = found
		return found
	}
	return deps
}

// nodeChildren returns n's operands in order.
func nodeChildren(g *G.ExprGraph, n *G.Node) []*G.Node {
	var out []*G.Node
	it := g.From(n.ID())
	for it.Next() {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}
