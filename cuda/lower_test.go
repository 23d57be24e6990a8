package cuda

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gtrain/gtrain/graph"
)

// The op inventory of the pruned training graphs (Grad: true) of both
// losses. A change in Gorgonia or in graph/net.go that changes it fails
// here: check that the lowering handles every new kind (the reference
// tests below prove it), then re-pin.
var wantOps = map[graph.Loss]string{
	graph.CrossEntropy: "constantScalar×2, constantTensor×1, elemBinOp +×5, elemBinOp -×2, elemBinOp ÷×3, elemBinOp ⊙×6, elemUnaryOp ln×1, elemUnaryOp neg×2, elemUnaryOp square×1, graph.expOp×1, graph.rowMaxGradOp×1, graph.rowMaxOp×1, graph.rowSumOp×2, graph.spreadOp×3, input×5, linAlgBinOp A × B×1, linAlgBinOp A ××× Bᵀ×1, linAlgBinOp Aᵀ × B×1, linAlgBinOp Aᵀ ××× B×1, repeatOp×1, reshapeOp×11, sizeOp×1, sumOp×3",
	graph.SVM:          "constantScalar×3, constantTensor×1, elemBinOp +×5, elemBinOp -×2, elemBinOp >=×1, elemBinOp ÷×2, elemBinOp ⊙×9, elemUnaryOp neg×1, elemUnaryOp square×1, graph.rowSumOp×2, graph.spreadOp×3, input×5, linAlgBinOp A × B×1, linAlgBinOp A ××× Bᵀ×1, linAlgBinOp Aᵀ × B×1, linAlgBinOp Aᵀ ××× B×1, repeatOp×1, reshapeOp×11, sizeOp×1, sumOp×3",
}

func testNet[T graph.Float](t *testing.T, loss graph.Loss, rows, k, d int, grad bool, seed uint64) (*graph.Net[T], *graph.Params[T], []T, []T) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	p := graph.NewParams[T](k, d)
	p.InitGaussian(rng, 0.5)
	x := make([]T, rows*d)
	for i := range x {
		x[i] = T(rng.NormFloat64())
	}
	labels := make([]uint8, rows)
	for i := range labels {
		labels[i] = uint8(rng.IntN(k))
	}
	y := make([]T, rows*k)
	graph.OneHot(y, labels, k)
	net, err := graph.NewNet(graph.NetConfig{Loss: loss, Rows: rows, Grad: grad}, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Close() })
	return net, p, x, y
}

func TestOpInventory(t *testing.T) {
	for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
		net, _, _, _ := testNet[float64](t, loss, 7, 10, 5, true, 1)
		p, err := LowerNet(net)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Summary(); got != wantOps[loss] {
			t.Errorf("%s: op inventory changed:\n got %s\nwant %s\nprogram:\n%s", loss, got, wantOps[loss], p.Dump())
		}
	}
}

// TestProgramShape checks the lowering's promises on both graphs: reshapes,
// transposes and repeats alias (no copies), nothing is computed on the
// device from host scalars alone, and the outputs are there.
func TestProgramShape(t *testing.T) {
	for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
		for _, grad := range []bool{true, false} {
			net, _, _, _ := testNet[float32](t, loss, 7, 10, 5, grad, 1)
			p, err := LowerNet(net)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[Kind]int{}
			for _, in := range p.Instrs {
				kinds[in.Kind]++
				host := true
				for _, v := range in.In {
					host = host && v.IsHost()
				}
				if host {
					t.Errorf("%s: %v computes host values on the device", loss, in)
				}
			}
			if kinds[Copy] != 0 {
				t.Errorf("%s grad=%v: %d copies:\n%s", loss, grad, kinds[Copy], p.Dump())
			}
			wantMM := 1
			if grad {
				wantMM = 2
			}
			if kinds[MatMul] != wantMM {
				t.Errorf("%s grad=%v: %d matrix products, want %d", loss, grad, kinds[MatMul], wantMM)
			}
			for _, name := range []string{"scores", "loss", "cost"} {
				if _, ok := p.Outputs[name]; !ok {
					t.Errorf("%s: no output %s", loss, name)
				}
			}
			if _, ok := p.Outputs["dW"]; ok != grad {
				t.Errorf("%s grad=%v: output dW present: %v", loss, grad, ok)
			}
			f := Fuse(p)
			t.Logf("%s grad=%v: %d instructions (%d fused), %d host scalars", loss, grad, len(p.Instrs), len(f.Instrs), len(p.Host))
			if len(f.Instrs) >= len(p.Instrs) {
				t.Errorf("%s grad=%v: fusion left %d instructions of %d", loss, grad, len(f.Instrs), len(p.Instrs))
			}
		}
	}
}

func maxRelDiff[T graph.Float](a, b []T) float64 {
	var scale, diff float64
	for i := range a {
		scale = math.Max(scale, math.Abs(float64(b[i])))
		diff = math.Max(diff, math.Abs(float64(a[i])-float64(b[i])))
	}
	if scale == 0 {
		return diff
	}
	return diff / scale
}

func checkAgainstTape[T graph.Float](t *testing.T, loss graph.Loss, rows, k, d int, lambda, tol float64, fuse bool) {
	t.Helper()
	net, p, x, y := testNet[T](t, loss, rows, k, d, true, uint64(rows*31+d))
	if err := net.Run(x, y, lambda); err != nil {
		t.Fatal(err)
	}
	prog, err := LowerNet(net)
	if err != nil {
		t.Fatal(err)
	}
	if fuse {
		prog = Fuse(prog)
	}
	r, err := NewRef[T](prog, lambda)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct {
		role SlotRole
		v    []T
	}{{InputX, x}, {InputY, y}, {ParamW, p.W}, {ParamB, p.B}} {
		if err := r.Bind(b.role, b.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  []T
		want []T
	}{
		{"scores", r.Output("scores"), net.Scores()},
		{"loss", r.Output("loss"), []T{T(net.Loss())}},
		{"cost", r.Output("cost"), []T{T(net.Cost())}},
		{"dW", r.Output("dW"), net.GradW()},
		{"dB", r.Output("dB"), net.GradB()},
	} {
		if len(c.got) != len(c.want) {
			t.Fatalf("%s %s: %d values, want %d", loss, c.name, len(c.got), len(c.want))
		}
		if e := maxRelDiff(c.got, c.want); !(e <= tol) {
			t.Errorf("%s rows=%d %s: max relative difference %.3g > %g", loss, rows, c.name, e, tol)
		}
	}
}

// TestRefMatchesTapeMachine runs both loss graphs through the lowered
// program on the reference backend and through Gorgonia's TapeMachine.
func TestRefMatchesTapeMachine(t *testing.T) {
	for _, loss := range []graph.Loss{graph.CrossEntropy, graph.SVM} {
		for _, sz := range [][3]int{{7, 10, 5}, {100, 10, 64}, {1, 10, 3}, {3, 1, 2}} {
			for _, fuse := range []bool{false, true} {
				checkAgainstTape[float64](t, loss, sz[0], sz[1], sz[2], 0.1, 1e-12, fuse)
				checkAgainstTape[float64](t, loss, sz[0], sz[1], sz[2], 0, 1e-12, fuse)
				checkAgainstTape[float32](t, loss, sz[0], sz[1], sz[2], 0.1, 2e-5, fuse)
			}
		}
	}
}

func TestUnknownOpIsAnError(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 4), G.WithName("X"))
	y := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 2), G.WithName("Y"))
	lam := G.NewScalar(g, tensor.Float64, G.WithName("lambda"))
	w := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 4), G.WithName("W"))
	b := G.NewMatrix(g, tensor.Float64, G.WithShape(1, 2), G.WithName("b"))
	s := G.Must(G.Mul(x, G.Must(G.Transpose(w))))
	sm := G.Must(G.SoftMax(s))
	cost := G.Must(G.Sum(sm))
	_, err := Lower(Inputs{Graph: g, X: x, Y: y, Lambda: lam, W: w, B: b, Outputs: map[string]*G.Node{"cost": cost}}, tensor.Float64)
	if err == nil {
		t.Fatal("lowering a softmax op succeeded")
	}
	if !strings.Contains(err.Error(), "not supported") {
		t.Errorf("error %q does not say the op is not supported", err)
	}
	t.Log(err)
}

func TestDeadNodesDropped(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 4), G.WithName("X"))
	w := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 4), G.WithName("W"))
	s := G.Must(G.Mul(x, G.Must(G.Transpose(w))))
	_ = G.Must(G.Exp(G.Must(G.Mul(G.Must(G.Transpose(x)), x)))) // dead: 4×4
	cost := G.Must(G.Sum(s))
	p, err := Lower(Inputs{Graph: g, X: x, W: w, Outputs: map[string]*G.Node{"cost": cost}}, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Instrs) != 2 {
		t.Errorf("%d instructions, want matmul and sum:\n%s", len(p.Instrs), p.Dump())
	}
	if p.Ops["elemUnaryOp exp"] != 0 {
		t.Errorf("dead exp in the inventory: %s", p.Summary())
	}
}

// TestViews covers the view rules on a hand-made graph: a strided
// (transposed) operand of an elementwise op, a reshape of a non-contiguous
// view (a copy), a column broadcast and a product with both operands
// transposed.
func TestViews(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 4), G.WithName("X"))
	w := G.NewMatrix(g, tensor.Float64, G.WithShape(4, 3), G.WithName("W"))
	xt := G.Must(G.Transpose(x))                    // 4×3, strided
	sum := G.Must(G.Add(xt, w))                     // 4×3
	flat := G.Must(G.Reshape(xt, tensor.Shape{12})) // needs a copy
	col := G.Must(G.Sum(sum, 1))                    // 4
	colM := G.Must(G.Reshape(col, tensor.Shape{4, 1}))
	bc := G.Must(G.BroadcastHadamardProd(sum, colM, nil, []byte{1}))       // 4×3
	prod := G.Must(G.Mul(G.Must(G.Transpose(bc)), G.Must(G.Transpose(x)))) // 3×3... (3×4)(4×3)
	cost := G.Must(G.Add(G.Must(G.Sum(prod)), G.Must(G.Sum(G.Must(G.Square(flat))))))
	p, err := Lower(Inputs{Graph: g, X: x, W: w, Outputs: map[string]*G.Node{"cost": cost, "prod": prod, "flat": flat}}, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	xv, wv := make([]float64, 12), make([]float64, 12)
	for i := range xv {
		xv[i], wv[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	r, err := NewRef[float64](p, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.Bind(InputX, xv)
	r.Bind(ParamW, wv)
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	// The same graph on the TapeMachine.
	G.Let(x, tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(xv)))
	G.Let(w, tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(wv)))
	var costV, prodV, flatV G.Value
	G.Read(cost, &costV)
	G.Read(prod, &prodV)
	G.Read(flat, &flatV)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want []float64
	}{{"cost", []float64{costV.Data().(float64)}}, {"prod", prodV.Data().([]float64)}, {"flat", flatV.Data().([]float64)}} {
		if e := maxRelDiff(r.Output(c.name), c.want); e > 1e-13 {
			t.Errorf("%s: relative difference %g\n%s", c.name, e, p.Dump())
		}
	}
}

func TestGradCheckWithoutBackend(t *testing.T) {
	if Built {
		t.Skip("built with the CUDA backend")
	}
	p := graph.NewParams[float64](2, 3)
	_, err := GradCheck("cuda", p, graph.Batch[float64]{X: make([]float64, 3), Labels: []uint8{1}}, graph.GradCheckConfig{Loss: graph.CrossEntropy})
	if err != ErrNotBuilt {
		t.Errorf("GradCheck without the backend: %v, want ErrNotBuilt", err)
	}
}
