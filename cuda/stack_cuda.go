//go:build gtrain_cuda

package cuda

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// ---- the stacked engine: M members as one graph.Stack on one GPU ----

// StackFactory is the stacked engines' factory of the device kind "cuda"
// (EngineFactory includes it).
func StackFactory() engine.StackFactory {
	return engine.StackFactory{
		Float32: func(ps []*graph.Params[float32], s engine.StackSpec, splits engine.Splits[float32]) (engine.StackEngine[float32], error) {
			return NewStack(ps, s, splits)
		},
		Float64: func(ps []*graph.Params[float64], s engine.StackSpec, splits engine.Splits[float64]) (engine.StackEngine[float64], error) {
			return NewStack(ps, s, splits)
		},
	}
}

// Stack is the stacked engine (engine.StackEngine): the lowered
// graph.Stack of its members runs on the device as the lone engine runs
// a net, over the stacked W (M·K×d, member-major) and b kept there, with
// the splits resident. A step is one captured CUDA graph: the lone
// gather, the labels repeated per member, the program, then per member
// ‖W‖², the cost data + λ‖W‖² and the update with its own η and λ
// (stack_sgd; frozen members are not updated); the M costs are read back.
type Stack[T graph.Float] struct {
	e        *Engine[T] // its p is the stacked parameters
	members  []*graph.Params[T]
	spec     engine.StackSpec
	losses   []graph.Loss
	k        int
	frozen   []bool
	train    *stackProg[T]
	eval     map[int]*stackProg[T] // by rows
	evalRows int

	xb, yb, fac, sq, costs, counts cu.DevicePtr
	// The host ends of the small copies (no Go pointers in them).
	hostFac, hostCosts []float64
	hostCounts         []uint64
	hostSq, hostData   []T
}

// stackProg is a lowered stack on the device with the launches around it.
type stackProg[T graph.Float] struct {
	dp        *devProg[T]
	segs      []stackSeg
	x         int // the X slot
	pre, post []Launch
	norms     []Launch
}

// NewStack builds a stacked CUDA engine for spec.Device from the members'
// parameters ps (copied in); its steps read the rows of splits.
func NewStack[T graph.Float](ps []*graph.Params[T], spec engine.StackSpec, splits engine.Splits[T]) (*Stack[T], error) {
	m := len(ps)
	if m == 0 || len(spec.Members) != m {
		return nil, fmt.Errorf("cuda: a stack of %d members with %d parameter sets", len(spec.Members), m)
	}
	k, d := ps[0].K, ps[0].D
	s := &Stack[T]{spec: spec, k: k, frozen: make([]bool, m), eval: map[int]*stackProg[T]{}, evalRows: stackEvalRows(m),
		hostFac: make([]float64, 4*m), hostCosts: make([]float64, m), hostCounts: make([]uint64, m), hostSq: make([]T, m), hostData: make([]T, m)}
	p := graph.NewParams[T](m*k, d)
	for i, q := range ps {
		if q.K != k || q.D != d {
			return nil, fmt.Errorf("cuda: stack member %d has K=%d d=%d, member 0 K=%d d=%d", i, q.K, q.D, k, d)
		}
		v := graph.Member(p, i, k)
		v.CopyFrom(q)
		s.members = append(s.members, v)
		s.losses = append(s.losses, spec.Members[i].Loss)
	}
	e, leave, err := openEngine(p, engine.Spec{Device: spec.Device, Batch: spec.Batch, Tuning: spec.Tuning}, splits)
	if err != nil {
		return nil, err
	}
	defer leave()
	e.classes, s.e = k, e
	if err := s.setup(); err != nil {
		e.free()
		return nil, err
	}
	return s, nil
}

// setup allocates the stack's buffers and builds its training program.
func (s *Stack[T]) setup() (err error) {
	e, m, d := s.e, len(s.members), s.e.p.D
	for _, b := range []struct {
		p     *cu.DevicePtr
		bytes int
	}{{&s.fac, 8 * len(s.hostFac)}, {&s.sq, m * e.elem}, {&s.costs, 8 * m}, {&s.counts, 8 * m},
		{&s.xb, s.spec.Batch * d * e.elem}, {&s.yb, s.spec.Batch * s.k * e.elem}} {
		if *b.p, err = e.alloc(b.bytes); err != nil {
			return err
		}
	}
	if s.spec.Batch > 0 {
		if s.train, err = s.newProg(s.spec.Batch, true); err != nil {
			return err
		}
		s.train.dp.ptr[s.train.x] = s.xb
	}
	return e.sync()
}

// newProg lowers the stack for rows rows (with gradients: the training
// step's) and puts it on the device: each segment's W and b slots are its
// rows of the stacked W and b, its Y a buffer of its own (repeat_rows
// fills it); X is bound by the caller.
func (s *Stack[T]) newProg(rows int, grad bool) (*stackProg[T], error) {
	e := s.e
	gs, err := graph.NewStack(graph.StackConfig{Losses: s.losses, Classes: s.k, Rows: rows, Grad: grad}, e.p)
	if err != nil {
		return nil, err
	}
	prog, err := lowerStackForDevice(gs, s.spec.Tuning)
	gs.Close()
	if err != nil {
		return nil, err
	}
	dp, err := e.newProg(prog)
	if err != nil {
		return nil, err
	}
	sp := &stackProg[T]{dp: dp, segs: stackSegs(prog), x: slotOf(prog, InputX), norms: StackNormLaunches(prog)}
	kd := s.k * e.p.D
	for _, sg := range sp.segs {
		dp.ptr[sg.w] = e.w + cu.DevicePtr(sg.from*kd*e.elem)
		dp.ptr[sg.b] = e.b + cu.DevicePtr(sg.from*s.k*e.elem)
		if dp.ptr[sg.y], err = e.alloc(rows * sg.n * s.k * e.elem); err != nil {
			return nil, err
		}
	}
	dp.tableDirty = true
	if grad {
		sp.pre, sp.post = StackStepLaunches(prog)
	} else {
		sp.pre, sp.post = StackEvalLaunches(prog)
	}
	return sp, nil
}

// Freeze implements engine.StackEngine.
func (s *Stack[T]) Freeze(m int) { s.frozen[m] = true }

// Params implements engine.StackEngine: the members' W and b, read back
// into views of the stacked parameters (the same each call). The caller
// may change them: the next Step or Evaluate uploads them first.
func (s *Stack[T]) Params() ([]*graph.Params[T], error) {
	if _, err := s.e.Params(); err != nil {
		return nil, err
	}
	return s.members, nil
}

// Close implements engine.StackEngine.
func (s *Stack[T]) Close() error { return s.e.Close() }

// put and get copy bytes between the host (memory without Go pointers)
// and the device, on the stream.
func (e *Engine[T]) put(dst cu.DevicePtr, src unsafe.Pointer, bytes int) error {
	if err := cu.MemcpyHtoDAsync(dst, src, int64(bytes), e.stream); err != nil {
		return fmt.Errorf("cuda: upload: %v", err)
	}
	return nil
}

func (e *Engine[T]) get(dst unsafe.Pointer, src cu.DevicePtr, bytes int) error {
	if err := cu.MemcpyDtoHAsync(dst, src, int64(bytes), e.stream); err != nil {
		return fmt.Errorf("cuda: read-back: %v", err)
	}
	return nil
}

var _ engine.StackEngine[float32] = (*Stack[float32])(nil)
