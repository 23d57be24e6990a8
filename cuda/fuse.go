package cuda

import "fmt"

// Fused is an instruction kind: a run of elementwise instructions over the
// same Rows×Cols, executed by one kernel launch. Each element's values pass
// from op to op in registers; an op's result is stored to its slot only
// when something outside the run (or an output) reads it.
const Fused Kind = 5

// FusedOp is one op of a Fused instruction: Fn of A (and B for binary
// functions). An operand ≥ 0 is the result of an earlier op of the run, one
// < 0 is the external input In[-operand-1]; B is NoOperand for unary ops.
// Store is the slot the result goes to, or -1.
type FusedOp struct {
	Fn, A, B int
	Store    int
	Node     string
}

// NoOperand marks the missing second operand of a unary op.
const NoOperand = 1 << 30

// MaxFusedOps bounds a run (the kernel keeps one register per op).
const MaxFusedOps = 32

// Fuse returns p, rescheduled so that elementwise instructions of the same
// shape follow each other where the dependencies allow, with its runs of consecutive elementwise instructions over
// the same shape merged into Fused instructions (fewer launches per step).
// A run ends at any other instruction, at a change of shape, and where an
// instruction reads an earlier result of the run other than element by
// element (a broadcast, say). p is not modified.
func Fuse(p *Program) *Program {
	p = schedule(p)
	q := *p
	q.Instrs = nil
	// Uses of each slot outside the instruction that writes it.
	reads := map[int][]int{} // slot → indices of reading instructions
	for i, in := range p.Instrs {
		for _, v := range in.In {
			if !v.IsHost() {
				reads[v.Slot] = append(reads[v.Slot], i)
			}
		}
	}
	outputs := map[int]bool{}
	for _, v := range p.Outputs {
		outputs[v.Slot] = true
	}
	var run []int // instruction indices
	flush := func() {
		switch len(run) {
		case 0:
			return
		case 1:
			q.Instrs = append(q.Instrs, p.Instrs[run[0]])
			run = nil
			return
		}
		first := p.Instrs[run[0]]
		f := Instr{Kind: Fused, Rows: first.Rows, Cols: first.Cols, Out: -1, Node: fmt.Sprintf("fused %d ops", len(run))}
		reg := map[int]int{} // slot → op index
		inRun := map[int]bool{}
		for _, i := range run {
			inRun[i] = true
		}
		operand := func(v View) int {
			if !v.IsHost() {
				if r, ok := reg[v.Slot]; ok {
					return r
				}
			}
			f.In = append(f.In, v)
			return -len(f.In)
		}
		for k, i := range run {
			in := p.Instrs[i]
			fn := in.Fn
			if in.Kind == Copy {
				fn = FnIdentity
			}
			op := FusedOp{Fn: fn, A: operand(in.In[0]), B: NoOperand, Store: -1, Node: in.Node}
			if in.Kind == Binary {
				op.B = operand(in.In[1])
			}
			store := outputs[in.Out]
			for _, r := range reads[in.Out] {
				store = store || !inRun[r]
			}
			if store {
				op.Store = in.Out
				if f.Out < 0 {
					f.Out = in.Out
				}
			}
			reg[in.Out] = k
			f.Ops = append(f.Ops, op)
		}
		q.Instrs = append(q.Instrs, f)
		run = nil
	}
	produced := map[int]bool{} // slots written by the current run
	for i, in := range p.Instrs {
		elementwise := in.Kind == Binary || in.Kind == Unary || in.Kind == Copy
		if !elementwise {
			flush()
			produced = map[int]bool{}
			q.Instrs = append(q.Instrs, in)
			continue
		}
		if len(run) > 0 {
			first := p.Instrs[run[0]]
			ok := first.Rows == in.Rows && first.Cols == in.Cols && len(run) < MaxFusedOps
			for _, v := range in.In {
				if !v.IsHost() && produced[v.Slot] && !(v.Contiguous() && v.Off == 0 && v.Rows == in.Rows && v.Cols == in.Cols) {
					ok = false
				}
			}
			if !ok {
				flush()
				produced = map[int]bool{}
			}
		}
		run = append(run, i)
		produced[in.Out] = true
	}
	flush()
	return &q
}

func elementwise(in Instr) bool { return in.Kind == Binary || in.Kind == Unary || in.Kind == Copy }

// joins reports whether in can extend a run of shape first's that has
// written the slots produced.
func joins(first, in Instr, produced map[int]bool, size int) bool {
	if !elementwise(in) || first.Rows != in.Rows || first.Cols != in.Cols || size >= MaxFusedOps {
		return false
	}
	for _, v := range in.In {
		if !v.IsHost() && produced[v.Slot] && !(v.Contiguous() && v.Off == 0 && v.Rows == in.Rows && v.Cols == in.Cols) {
			return false
		}
	}
	return true
}

// schedule reorders p's instructions (a topological order of their data
// dependencies; slots are never reused, so there are no others): among
// the ready instructions it takes one that extends the current elementwise
// run, else the first in program order.
func schedule(p *Program) *Program {
	n := len(p.Instrs)
	writer := map[int]int{}
	for i, in := range p.Instrs {
		writer[in.Out] = i
	}
	users := make([][]int, n)
	pending := make([]int, n)
	for i, in := range p.Instrs {
		seen := map[int]bool{}
		for _, v := range in.In {
			if v.IsHost() {
				continue
			}
			if w, ok := writer[v.Slot]; ok && w != i && !seen[w] {
				seen[w] = true
				users[w] = append(users[w], i)
				pending[i]++
			}
		}
	}
	var ready []int
	for i := range p.Instrs {
		if pending[i] == 0 {
			ready = append(ready, i)
		}
	}
	q := *p
	q.Instrs = make([]Instr, 0, n)
	var first Instr
	active, size := false, 0
	produced := map[int]bool{}
	for len(ready) > 0 {
		at := 0
		if active {
			for j, i := range ready {
				if joins(first, p.Instrs[i], produced, size) {
					at = j
					break
				}
			}
		}
		pick := ready[at]
		ready = append(ready[:at], ready[at+1:]...)
		in := p.Instrs[pick]
		q.Instrs = append(q.Instrs, in)
		switch {
		case active && joins(first, in, produced, size):
			produced[in.Out] = true
			size++
		case elementwise(in):
			first, active, size = in, true, 1
			produced = map[int]bool{in.Out: true}
		default:
			active, size = false, 0
			produced = map[int]bool{}
		}
		for _, u := range users[pick] {
			pending[u]--
			if pending[u] == 0 {
				// Keep ready in program order.
				k := 0
				for k < len(ready) && ready[k] < u {
					k++
				}
				ready = append(ready, 0)
				copy(ready[k+1:], ready[k:])
				ready[k] = u
			}
		}
	}
	if len(q.Instrs) != n {
		panic("cuda: schedule: a dependency cycle")
	}
	return &q
}
