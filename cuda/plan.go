package cuda

import "math"

// ArgKind says what a kernel argument is.
type ArgKind byte

// Kernel argument kinds. Every argument is 8 bytes on the wire.
const (
	ArgInt   ArgKind = 'i' // Int
	ArgFloat ArgKind = 'f' // Float (a double)
	ArgSlot  ArgKind = 'p' // the address of slot Slot plus Off elements
	ArgNull  ArgKind = '0' // a null pointer
	ArgDesc  ArgKind = 'D' // the Fused descriptor of instruction Instr
	ArgTable ArgKind = 'T' // the table of slot addresses
)

// Arg is one kernel argument.
type Arg struct {
	Kind      ArgKind
	Int       int64
	Float     float64
	Slot, Off int
	Instr     int
	Name      string // ArgBuf
}

// Launch is one kernel launch of a program, or a gemm (Gemm non-nil).
type Launch struct {
	Kernel              string
	Grid, Block, Shared int // Shared in elements of the dtype
	Args                []Arg
	Gemm                *Gemm
	Instr               int
}

func gridFor(n int) int { return max(1, min((n+255)/256, 4096)) }

type argList []Arg

func (a *argList) i(x int)                  { *a = append(*a, Arg{Kind: ArgInt, Int: int64(x)}) }
func (a *argList) f(x float64)              { *a = append(*a, Arg{Kind: ArgFloat, Float: x}) }
func (a *argList) slot(s, off int)          { *a = append(*a, Arg{Kind: ArgSlot, Slot: s, Off: off}) }
func (a *argList) add(k ArgKind, instr int) { *a = append(*a, Arg{Kind: k, Instr: instr}) }

// view appends a view's six arguments (pointer, offset, row and column
// strides, host value, is-host), as kernels.cu's VIEW macro declares them.
func (a *argList) view(v View, host []float64) {
	if v.IsHost() {
		*a = append(*a, Arg{Kind: ArgNull})
		a.i(0)
		a.i(0)
		a.i(0)
		a.f(host[v.Host])
		a.i(1)
		return
	}
	a.slot(v.Slot, 0)
	a.i(v.Off)
	a.i(v.RS)
	a.i(v.CS)
	a.f(0)
	a.i(0)
}

// Plan returns the launches that execute p with the host scalars host:
// the CUDA backend issues them on its stream (cuBLAS for the gemms); the
// kernel tests run them on the CPU through kernels.cu compiled for the host.
func Plan(p *Program, host []float64) []Launch {
	var out []Launch
	for ii, in := range p.Instrs {
		var a argList
		l := Launch{Instr: ii}
		switch in.Kind {
		case Fused:
			a.i(in.Rows)
			a.i(in.Cols)
			a.add(ArgDesc, ii)
			a.add(ArgTable, ii)
			l.Kernel, l.Grid, l.Block = "fused", gridFor(in.Rows*in.Cols), 256
		case Binary, Unary, Copy:
			name, fn := "binary", in.Fn
			if in.Kind != Binary {
				name = "unary"
				if in.Kind == Copy {
					fn = FnIdentity
				}
			}
			a.i(fn)
			a.i(in.Rows)
			a.i(in.Cols)
			a.slot(in.Out, 0)
			for _, v := range in.In {
				a.view(v, host)
			}
			l.Kernel, l.Grid, l.Block = name, gridFor(in.Rows*in.Cols), 256
		case Reduce:
			v := in.In[0]
			outs, n := 1, v.Rows*v.Cols
			switch in.Axis {
			case 1:
				outs, n = v.Rows, v.Cols
			case 0:
				outs, n = v.Cols, v.Rows
			}
			block := 32
			for block < n && block < 1024 {
				block *= 2
			}
			a.i(in.Fn)
			a.i(in.Axis)
			a.i(v.Rows)
			a.i(v.Cols)
			a.slot(in.Out, 0)
			a.view(v, host)
			l.Kernel, l.Grid, l.Block, l.Shared = "reduce", outs, block, block
		case MatMul:
			g := GemmOf(in)
			l.Gemm = &g
		default:
			panic("cuda: plan: instruction " + in.String())
		}
		l.Args = a
		out = append(out, l)
	}
	return out
}

// FusedDesc encodes a Fused instruction for the fused kernel (kernels.cu
// documents the layout).
func FusedDesc(in Instr, host []float64) []int64 {
	d := []int64{int64(len(in.In)), int64(len(in.Ops))}
	for _, v := range in.In {
		if v.IsHost() {
			d = append(d, 0, 0, 0, 0, 1, int64(math.Float64bits(host[v.Host])))
		} else {
			d = append(d, int64(v.Slot), int64(v.Off), int64(v.RS), int64(v.CS), 0, 0)
		}
	}
	for _, o := range in.Ops {
		d = append(d, int64(o.Fn), int64(o.A), int64(o.B), int64(o.Store))
	}
	return d
}

// ArgBuf is an engine buffer by name (Arg.Name): "xs", "ys" (the split),
// "idx" (int32 order), "ctr" (int64 row offset and step), "etas" (float64
// rates), "cur" (float64 rate of the step), "costs" (float64 per step),
// "labels" (int32), "count" (uint64).
const ArgBuf ArgKind = 'B'

func (a *argList) buf(name string) { *a = append(*a, Arg{Kind: ArgBuf, Name: name}) }

// StepLaunches returns the two launches around a training step's program
// p: gather (the batch rows of the split through idx, or consecutive; the
// step's rate from etas[step·stride], stride 1 when perStep) and sgd (the
// update of W and b from p's dW and dB, the cost record, the counters).
func StepLaunches(p *Program, idx, perStep bool) (gather, sgd Launch) {
	batch, d, k := p.Rows, p.D, p.K
	var a argList
	a.i(batch)
	a.i(d)
	a.i(k)
	x, y, w, b := slotOf(p, InputX), slotOf(p, InputY), slotOf(p, ParamW), slotOf(p, ParamB)
	a.slot(x, 0)
	a.slot(y, 0)
	a.buf("xs")
	a.buf("ys")
	if idx {
		a.buf("idx")
	} else {
		a = append(a, Arg{Kind: ArgNull})
	}
	a.buf("ctr")
	a.buf("etas")
	if perStep {
		a.i(1)
	} else {
		a.i(0)
	}
	a.buf("cur")
	gather = Launch{Kernel: "gather", Grid: gridFor(batch * (d + k)), Block: 256, Args: a, Instr: -1}
	dw, db, cost := p.Outputs["dW"], p.Outputs["dB"], p.Outputs["cost"]
	a = nil
	a.i(k * d)
	a.slot(w, 0)
	a.slot(dw.Slot, dw.Off)
	a.i(k)
	a.slot(b, 0)
	a.slot(db.Slot, db.Off)
	a.buf("cur")
	a.slot(cost.Slot, cost.Off)
	a.buf("costs")
	a.buf("ctr")
	a.i(batch)
	sgd = Launch{Kernel: "sgd", Grid: gridFor(k*d + k), Block: 256, Args: a, Instr: -1}
	return gather, sgd
}

// CorrectLaunch counts into "count" the rows of p's scores whose first
// arg max is their label ("labels", int32, from row offset from).
func CorrectLaunch(p *Program) Launch {
	var a argList
	a.i(p.Rows)
	a.i(p.K)
	sc := p.Outputs["scores"]
	a.slot(sc.Slot, sc.Off)
	a.buf("labels")
	a.buf("count")
	return Launch{Kernel: "correct", Grid: (p.Rows + 255) / 256, Block: 256, Args: a, Instr: -1}
}

func slotOf(p *Program, role SlotRole) int {
	for i, s := range p.Slots {
		if s.Role == role {
			return i
		}
	}
	return -1
}
