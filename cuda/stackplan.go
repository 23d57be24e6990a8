package cuda

import (
	"fmt"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// The launches of a stacked program (LowerStack) beyond its own: the
// labels repeated per member, each member's ‖W‖², cost and update, and
// its correct count; decided on the host, run by the CUDA stack engine on
// its stream and by the kernel tests through kernels.cu on the CPU.
//
// Their engine buffers (ArgBuf) besides the lone step's "xs", "ys",
// "ctr", "etas", "cur" and "labels": "yb" (the batch's one-hot labels,
// Rows×K reals), "fac" (StackFactors: 4 float64 per member), "sq" (‖W_m‖²,
// a real per member), "mcosts" (the step's cost per member, float64) and
// "counts" (correct rows per member, uint64).

// stackSeg is segment i of a stacked program: its members [from,
// from+n), its slots and outputs.
type stackSeg struct {
	from, n      int
	y, w, b      int // slots
	data, scores View
	dW, dB       View // training programs only
	hasGrad      bool
}

// stackSegs returns the segments of a stacked program in member order.
func stackSegs(p *Program) []stackSeg {
	segs := make([]stackSeg, len(p.Members))
	from := 0
	for i, n := range p.Members {
		sg := &segs[i]
		sg.from, sg.n = from, n
		from += n
		sg.y, sg.w, sg.b = segSlot(p, InputY, i), segSlot(p, ParamW, i), segSlot(p, ParamB, i)
		sg.data, sg.scores = p.Outputs[fmt.Sprint("data", i)], p.Outputs[fmt.Sprint("scores", i)]
		sg.dW, sg.hasGrad = p.Outputs[fmt.Sprint("dW", i)]
		sg.dB = p.Outputs[fmt.Sprint("dB", i)]
	}
	return segs
}

// segSlot returns the slot of role of a stack's segment seg (-1: none).
func segSlot(p *Program, role SlotRole, seg int) int {
	for i, s := range p.Slots {
		if s.Role == role && s.Seg == seg {
			return i
		}
	}
	return -1
}

// repeatLaunch repeats the rows×K labels of buffer src into segment sg's Y.
func repeatLaunch(p *Program, sg stackSeg, src string) Launch {
	var a argList
	a.i(p.Rows)
	a.i(sg.n)
	a.i(p.K)
	a.slot(sg.y, 0)
	a.buf(src)
	return Launch{Kernel: "repeat_rows", Grid: gridFor(p.Rows * sg.n * p.K), Block: 256, Args: a, Instr: -1}
}

// StackNormBlock is the block size of the sqnorm kernel (a power of two).
const StackNormBlock = 256

// StackNormLaunches sets "sq" to each member's ‖W_m‖², one block per
// member.
func StackNormLaunches(p *Program) []Launch {
	var out []Launch
	for _, sg := range stackSegs(p) {
		var a argList
		a.i(p.K * p.D)
		a.slot(sg.w, 0)
		a.buf("sq")
		a.i(sg.from)
		out = append(out, Launch{Kernel: "sqnorm", Grid: sg.n, Block: StackNormBlock, Shared: StackNormBlock, Args: a, Instr: -1})
	}
	return out
}

// StackStepLaunches returns the launches around a stacked training step's
// program p: pre gathers the batch (the lone gather: X, and its labels
// into "yb"; the rate it sets is not read) and repeats the labels into
// each segment's Y; post sets "sq" (StackNormLaunches), then each
// segment's stack_sgd records the costs in "mcosts" and updates its
// members with "fac", the last one moving the counters on.
func StackStepLaunches(p *Program) (pre, post []Launch) {
	if p.Members == nil {
		panic("cuda: StackStepLaunches of a lone program")
	}
	batch, d, k := p.Rows, p.D, p.K
	var a argList
	a.i(batch)
	a.i(d)
	a.i(k)
	a.slot(slotOf(p, InputX), 0)
	a.buf("yb")
	a.buf("xs")
	a.buf("ys")
	a = append(a, Arg{Kind: ArgNull}) // no order: Step uploads gathered rows
	a.buf("ctr")
	a.buf("etas")
	a.i(0)
	a.buf("cur")
	pre = append(pre, Launch{Kernel: "gather", Grid: gridFor(batch * (d + k)), Block: 256, Args: a, Instr: -1})
	segs := stackSegs(p)
	for _, sg := range segs {
		pre = append(pre, repeatLaunch(p, sg, "yb"))
	}
	post = StackNormLaunches(p)
	for i, sg := range segs {
		if !sg.hasGrad {
			panic("cuda: StackStepLaunches of a program without gradients")
		}
		a = nil
		a.i(sg.n)
		a.i(k * d)
		a.i(k)
		a.slot(sg.w, 0)
		a.slot(sg.dW.Slot, sg.dW.Off)
		a.slot(sg.b, 0)
		a.slot(sg.dB.Slot, sg.dB.Off)
		a.buf("fac")
		a.slot(sg.data.Slot, sg.data.Off)
		a.buf("sq")
		a.buf("mcosts")
		a.i(sg.from)
		a.buf("ctr")
		a.i(batch)
		if i == len(segs)-1 {
			a.i(1)
		} else {
			a.i(0)
		}
		post = append(post, Launch{Kernel: "stack_sgd", Grid: gridFor(sg.n * (k*d + k)), Block: 256, Args: a, Instr: -1})
	}
	return pre, post
}

// StackEvalLaunches returns the launches around a stacked evaluation
// program p of a block of rows: pre repeats the block's labels ("ys",
// from the block's first row) into each segment's Y; post adds each
// member's correct rows to "counts" (labels from "labels").
func StackEvalLaunches(p *Program) (pre, post []Launch) {
	for _, sg := range stackSegs(p) {
		pre = append(pre, repeatLaunch(p, sg, "ys"))
		var a argList
		a.i(p.Rows)
		a.i(sg.n)
		a.i(p.K)
		a.slot(sg.scores.Slot, sg.scores.Off)
		a.buf("labels")
		a.buf("counts")
		a.i(sg.from)
		post = append(post, Launch{Kernel: "stack_correct", Grid: (p.Rows*sg.n + 255) / 256, Block: 256, Args: a, Instr: -1})
	}
	return pre, post
}

// StackFactors sets fac (4 per member) to what stack_sgd reads of member
// m's step at rate etas[m]: a = 1 − 2ηλ (1 when λ = 0, as the CPU
// engine's update), c = −η, λ, and 1 when the member is frozen, else 0.
func StackFactors(fac []float64, members []engine.Member, etas []float64, frozen []bool) {
	for m, mb := range members {
		a := 1.0
		if mb.Lambda != 0 {
			a = 1 - 2*etas[m]*mb.Lambda
		}
		f := 0.0
		if frozen[m] {
			f = 1
		}
		copy(fac[4*m:4*m+4], []float64{a, -etas[m], mb.Lambda, f})
	}
}

// stackEvalRows is the number of rows of one evaluation run of a stack of
// m members: the lone engine's block of 10 000 up to 16 members, fewer
// beyond, so that a run's intermediates (rows × m·K values each) stay the
// size of those at 16 (the CPU stack's rule, models.stackEvalRows).
func stackEvalRows(m int) int { return max(10000*16/max(m, 16), 100) }

// stackEvalSums accumulates a stacked evaluation over blocks of rows.
type stackEvalSums struct {
	loss, last []float64 // per member: Σ data·rows; the last block's data
}

func newStackEvalSums(m int) *stackEvalSums {
	return &stackEvalSums{loss: make([]float64, m), last: make([]float64, m)}
}

// add takes a block of rows rows whose data terms (mean losses) are data.
func (s *stackEvalSums) add(data []float64, rows int) {
	for m, v := range data {
		s.loss[m] += v * float64(rows)
		s.last[m] = v
	}
}

// stackEvals sets evs from the sums over a split of n rows, the correct
// counts and the members' ‖W‖² (sq): loss the mean data term, cost loss +
// λ‖W‖² (the regularization as the lone engines take it: their last
// block's cost less its loss, in T).
func stackEvals[T graph.Float](evs []engine.Eval, s *stackEvalSums, n int, counts []uint64, sq []T, members []engine.Member) {
	for m, mb := range members {
		loss := s.loss[m] / float64(n)
		reg := float64(T(s.last[m])+T(mb.Lambda)*sq[m]) - s.last[m]
		evs[m] = engine.Eval{Loss: loss, Cost: loss + reg, Correct: int(counts[m]), N: n}
	}
}
