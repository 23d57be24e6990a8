package graph

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gtrain/gtrain/graph/internal/tapevm"
)

// tape is the compiled form shared by the network graphs (MLP, MLPStack):
// the expression graph pruned to the nodes its caller reads after each
// Run, each read into a value of its own (the TapeMachine reuses its
// registers), and run again through package tapevm's shortcuts.
type tape[T Float] struct {
	g      *G.ExprGraph
	vm     G.VM
	reads  G.Nodes
	outs   map[*G.Node]*G.Value
	rewind func()
	run    func() error
}

// read makes nd an output of the compiled graph (nil: none).
func (t *tape[T]) read(nd *G.Node) {
	if nd == nil {
		return
	}
	if t.outs == nil {
		t.outs = map[*G.Node]*G.Value{}
	}
	v := new(G.Value)
	if !nd.IsScalar() {
		*v = tensor.New(tensor.Of(Dtype[T]()), tensor.WithShape(nd.Shape().Clone()...))
	}
	t.outs[nd] = v
	t.reads = append(t.reads, G.Read(nd, v))
}

// compile prunes the graph to what is read and compiles it for a
// TapeMachine.
func (t *tape[T]) compile() error {
	t.g = t.g.ExactSubgraphRoots(t.reads...)
	prog, locMap, err := G.Compile(t.g)
	if err != nil {
		return err
	}
	t.vm = G.NewTapeMachine(t.g, G.WithPrecompiled(prog, locMap))
	t.rewind, t.run = tapevm.Rewinder(t.vm), tapevm.Runner(t.vm)
	return nil
}

// out returns nd's value after the last Run.
func (t *tape[T]) out(nd *G.Node) G.Value { return *t.outs[nd] }
