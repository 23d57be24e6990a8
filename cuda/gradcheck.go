package cuda

import (
	"fmt"

	"github.com/gtrain/gtrain/graph"
)

// GradCheck is `gtrain gradcheck --device cuda`: the autodiff gradients of
// the lowered training graph computed on the GPU, compared with the
// analytic gradients and with Gorgonia's autodiff on the CPU (TapeMachine),
// with the measure and floor of graph.GradCheck. Without the backend it
// returns ErrNotBuilt.
func GradCheck[T graph.Float](device string, p *graph.Params[T], b graph.Batch[T], cfg graph.GradCheckConfig) ([]graph.GradComparison, error) {
	if len(b.X) != b.N()*p.D || b.N() == 0 {
		return nil, fmt.Errorf("cuda: gradcheck batch of %d values for %d samples of %d dimensions", len(b.X), b.N(), p.D)
	}
	floor := cfg.Floor
	if floor == 0 {
		floor = 1e-12
	}
	y := make([]T, b.N()*p.K)
	graph.OneHot(y, b.Labels, p.K)
	_, gW, gB, err := Gradients(device, p, cfg.Loss, cfg.Lambda, b.X, y)
	if err != nil {
		return nil, err
	}
	anW, anB := make([]T, p.K*p.D), make([]T, p.K)
	if _, err := graph.AnalyticGrad(anW, anB, p, b, cfg.Loss, cfg.Lambda); err != nil {
		return nil, err
	}
	net, err := graph.NewNet(graph.NetConfig{Loss: cfg.Loss, Rows: b.N(), Grad: true}, p)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	if err := net.Run(b.X, y, cfg.Lambda); err != nil {
		return nil, err
	}
	f := func(x []T) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out
	}
	gpu := "autodiff (" + device + ")"
	return []graph.GradComparison{
		{A: gpu, B: "analytic", W: graph.MaxRelativeError(f(gW), f(anW), floor), B_: graph.MaxRelativeError(f(gB), f(anB), floor)},
		{A: gpu, B: "autodiff (cpu)", W: graph.MaxRelativeError(f(gW), f(net.GradW()), floor), B_: graph.MaxRelativeError(f(gB), f(net.GradB()), floor)},
	}, nil
}
