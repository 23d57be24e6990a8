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
	ArgOwn   ArgKind = 'E' // the launch's own descriptor (Launch.Desc) on the device
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
	SharedBytes         int // more shared memory, in bytes (after Shared)
	Args                []Arg
	Gemm                *Gemm
	Instr               int
	// Desc is the descriptor a segment launch reads (ArgOwn): the backend
	// uploads it once, with the program.
	Desc []int64
	// Instrs are the instructions a segment launch runs.
	Instrs []int
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
			l.Kernel, l.Grid, l.Block, l.SharedBytes = "fused", gridFor(in.Rows*in.Cols), 256, FusedSharedBytes
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
// "labels" (int32), "count" (uint64); a stack's also "yb", "fac", "sq",
// "mcosts" and "counts" (stackplan.go).
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

// Segments: the instructions between a training step's two matrix
// products are many (16 for the cross-entropy graph at batch 100) and tiny
// (at most a thousand elements, a few hundred at the W-sized ones'
// 30 720): each costs a launch's latency, a few microseconds, and does
// nanoseconds of work. Segment runs such a run in one launch of one block.

// SegmentMaxElems bounds the elements an instruction of a segment reads or
// writes: one block (one SM of many) runs it, which pays only while it is
// small. On an H100, the W-sized instructions (30 720 elements) ran 10×
// slower in a segment than alone, and a step at batch 500 (5 000 elements)
// was slower segmented than not; batch 100 (1 000) gains.
const SegmentMaxElems = 2048

// SegmentBlock is the block size of a segment launch.
const SegmentBlock = 1024

// FusedSharedBytes is the shared memory of a decoded Fused descriptor
// (kernels.cu's FUSED_SHARED_BYTES: 2·MaxFusedOps inputs of 40 bytes,
// MaxFusedOps ops of 32).
const FusedSharedBytes = 2*MaxFusedOps*40 + MaxFusedOps*32

// segmentSharedMax bounds a segment launch's shared memory (48 KiB, the
// default limit, less room for the scratch at float64).
const segmentSharedMax = 48<<10 - 8*SegmentBlock

// Segment returns plan with every run of two or more small elementwise and
// reduce launches of p replaced by one launch of the segment kernel, which
// runs them in order in one block with a barrier after each. A launch that
// cannot join (a gemm, a large instruction) ends the run unless it
// neither reads nor writes what the run writes nor writes what it reads:
// then it is issued before the run, which goes on (the W-sized
// regularization terms of a training step move ahead of it so).
func Segment(p *Program, host []float64, plan []Launch) []Launch {
	var out []Launch
	var run []Launch
	runReads, runWrites := map[int]bool{}, map[int]bool{}
	flush := func() {
		var desc []int64
		shared := 0
		if len(run) >= 2 {
			instrs := make([]int, len(run))
			for i, l := range run {
				instrs[i] = l.Instr
			}
			desc = SegmentDesc(p, instrs, host)
			shared = FusedSharedBytes + 8*len(desc) + 8*len(p.Slots)
		}
		if len(run) < 2 || shared > segmentSharedMax {
			out = append(out, run...)
		} else {
			instrs := make([]int, len(run))
			for i, l := range run {
				instrs[i] = l.Instr
			}
			var a argList
			a = append(a, Arg{Kind: ArgOwn})
			a.add(ArgTable, -1)
			out = append(out, Launch{Kernel: "segment", Grid: 1, Block: SegmentBlock, Shared: SegmentBlock, SharedBytes: shared,
				Args: a, Instr: run[0].Instr, Desc: desc, Instrs: instrs})
		}
		run = nil
		runReads, runWrites = map[int]bool{}, map[int]bool{}
	}
	for _, l := range plan {
		if l.Instr < 0 {
			flush()
			out = append(out, l)
			continue
		}
		in := p.Instrs[l.Instr]
		reads, writes := instrSlots(in)
		if l.Gemm == nil && segmentable(in) {
			run = append(run, l)
			for _, s := range reads {
				runReads[s] = true
			}
			for _, s := range writes {
				runWrites[s] = true
			}
			continue
		}
		independent := true
		for _, s := range reads {
			independent = independent && !runWrites[s]
		}
		for _, s := range writes {
			independent = independent && !runWrites[s] && !runReads[s]
		}
		if !independent {
			flush()
		}
		out = append(out, l)
	}
	flush()
	return out
}

// instrSlots returns the slots an instruction reads and those it writes.
func instrSlots(in Instr) (reads, writes []int) {
	for _, v := range in.In {
		if !v.IsHost() {
			reads = append(reads, v.Slot)
		}
	}
	if in.Kind == Fused {
		for _, o := range in.Ops {
			if o.Store >= 0 {
				writes = append(writes, o.Store)
			}
		}
	} else {
		writes = append(writes, in.Out)
	}
	return reads, writes
}

func segmentable(in Instr) bool {
	switch in.Kind {
	case Fused, Binary, Unary, Copy:
		return in.Rows*in.Cols <= SegmentMaxElems
	case Reduce:
		return in.In[0].Rows*in.In[0].Cols <= SegmentMaxElems
	}
	return false
}

// SegmentDesc encodes instructions instrs of p for the segment kernel
// (kernels.cu documents the layout).
func SegmentDesc(p *Program, instrs []int, host []float64) []int64 {
	const head = 3 // count, words, slots
	d := make([]int64, head+len(instrs))
	d[0] = int64(len(instrs))
	d[2] = int64(len(p.Slots))
	for q, ii := range instrs {
		d[head+q] = int64(len(d))
		in := p.Instrs[ii]
		switch in.Kind {
		case Fused:
			d = append(d, 0, int64(in.Rows), int64(in.Cols))
			d = append(d, FusedDesc(in, host)...)
		case Binary, Unary, Copy:
			fn := in.Fn
			if in.Kind == Copy {
				fn = FnIdentity
			}
			op := FusedOp{Fn: fn, A: -1, B: NoOperand, Store: in.Out}
			if in.Kind == Binary {
				op.B = -2
			}
			f := Instr{Kind: Fused, Rows: in.Rows, Cols: in.Cols, In: in.In, Ops: []FusedOp{op}, Out: in.Out}
			d = append(d, 0, int64(in.Rows), int64(in.Cols))
			d = append(d, FusedDesc(f, host)...)
		case Reduce:
			v := in.In[0]
			d = append(d, 1, int64(in.Fn), int64(in.Axis), int64(v.Rows), int64(v.Cols), int64(in.Out))
			d = append(d, FusedDesc(Instr{In: []View{v}}, host)[2:8]...)
		default:
			panic("cuda: segment: instruction " + in.String())
		}
	}
	d[1] = int64(len(d))
	return d
}
