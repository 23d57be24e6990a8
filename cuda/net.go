package cuda

import (
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
