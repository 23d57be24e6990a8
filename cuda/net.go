package cuda

import (
	"fmt"

	"github.com/gtrain/gtrain/graph"
	G "gorgonia.org/gorgonia"
)

// LowerNet lowers a compiled graph.Net: its pruned graph, with the outputs
// scores, loss, cost and, when the net has gradients, dW and dB.
func LowerNet[T graph.Float](net *graph.Net[T]) (*Program, error) {
	nn := net.Nodes()
	outs := map[string]*G.Node{"scores": nn.Scores, "loss": nn.Loss, "cost": nn.Cost}
	if nn.GradW != nil {
		outs["dW"], outs["dB"] = nn.GradW, nn.GradB
	}
	return Lower(Inputs{Graph: net.Graph(), X: nn.X, Y: nn.Y, Lambda: nn.Lambda, W: nn.W, B: nn.B, Outputs: outs}, graph.Dtype[T]())
}

// LowerStack lowers a compiled graph.Stack: its pruned graph, with the
// outputs of each segment i: scores<i> ((rows·M_seg)×K, as
// StackSegment.Scores), data<i> (the M_seg data terms) and, when the stack
// has gradients, dW<i> and dB<i> (the segment's rows of ∂data/∂W, ∂data/∂b).
func LowerStack[T graph.Float](s *graph.Stack[T]) (*Program, error) {
	sn := s.Nodes()
	in := Inputs{Graph: s.Graph(), X: sn.X, Outputs: map[string]*G.Node{}}
	for i, sg := range sn.Segments {
		in.Segments = append(in.Segments, SegmentInputs{Members: sg.To - sg.From, Y: sg.Y, W: sg.W, B: sg.B})
		in.Outputs[fmt.Sprint("scores", i)] = sg.Scores
		in.Outputs[fmt.Sprint("data", i)] = sg.Data
		if sg.GradW != nil {
			in.Outputs[fmt.Sprint("dW", i)], in.Outputs[fmt.Sprint("dB", i)] = sg.GradW, sg.GradB
		}
	}
	return Lower(in, graph.Dtype[T]())
}
