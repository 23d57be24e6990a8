//go:build gtrain_cuda

package cuda

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"
	cublas "gorgonia.org/cu/blas"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// ---- the engine ----

// hostIO holds the host ends of the engine's small copies; it has no Go
// pointers, so cgo accepts pointers into it.
type hostIO[T graph.Float] struct {
	eta    float64
	ctr    [2]int64
	count  uint64
	scalar [2]T
}

// devSplit is a split resident on the device: X (n×d), Y (n×K) and the
// labels (int32), uploaded once and kept for the engine's life under the
// split's name; shape is what its host slices had then.
type devSplit[T graph.Float] struct {
	n         int
	shape     splitShape
	x, y, lab cu.DevicePtr
}

type graphKey struct {
	src     cu.DevicePtr
	idx     bool
	perStep bool // η per step (etas) rather than one (eta)
}

// Engine runs the lowered graphs on one GPU: W and b live on the device;
// splits are uploaded once; a training step is one CUDA graph launch
// (gather the batch, the lowered program, the SGD update).
type Engine[T graph.Float] struct {
	d      *device
	m      *module
	stream cu.Stream
	blas   *cublas.Standard
	p      *graph.Params[T]
	spec   engine.Spec
	elem   int
	// classes is the number of classes of a sample (a split's Y is n ×
	// classes): p.K, or a member's in a stack (whose p is stacked).
	classes int

	w, b     cu.DevicePtr
	train    *devProg[T]
	eval     map[int]*devProg[T]
	xb, yb   cu.DevicePtr // the training step's batch
	eta, ctr cu.DevicePtr // float64; int64[2]: row offset, step
	etas     cu.DevicePtr // float64 per step of an epoch (TrainEpoch)
	curEta   cu.DevicePtr // float64: the step's η, set by gather
	costs    cu.DevicePtr // float64 per step of an epoch
	costsCap int
	count    cu.DevicePtr // uint64
	idx      cu.DevicePtr // int32 order of an epoch
	idxCap   int
	splits   map[string]*devSplit[T] // by split name
	staging  *devSplit[T]
	// hostSplits are the splits the engine was built with, which Step's
	// batches name; hostXB and hostYB hold a batch of gathered rows.
	hostSplits     engine.Splits[T]
	hostXB, hostYB []T
	graphs         map[graphKey]*execGraph
	hostEta        float64
	etaSet         bool // the device's η is hostEta
	// The device's counters after the last Step, when known: a next Step
	// on the following rows of the same split needs no upload.
	next struct {
		valid     bool
		src       *devSplit[T]
		row, step int
	}
	// io is the host side of the small copies (η, counters, scalars). It
	// is its own allocation: cgo refuses a pointer into the Engine, whose
	// memory holds Go pointers.
	io           *hostIO[T]
	hostCost     []float64
	paramsOnHost bool
	allocs       []cu.DevicePtr
	closed       bool
}

// NewEngine builds a CUDA engine for spec.Device ("cuda" or "cuda:N"),
// uploading p; p is brought up to date by Params. Its steps read the rows
// of splits.
func NewEngine[T graph.Float](p *graph.Params[T], spec engine.Spec, splits ...*engine.Split[T]) (*Engine[T], error) {
	e, leave, err := openEngine(p, spec, splits)
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := e.lone(); err != nil {
		e.free()
		return nil, err
	}
	return e, nil
}

// lone builds the lone engine's training program (for spec.Batch rows).
func (e *Engine[T]) lone() error {
	spec, p := e.spec, e.p
	if spec.Batch > 0 {
		net, err := graph.NewNet(graph.NetConfig{Loss: spec.Loss, Rows: spec.Batch, Grad: true}, p)
		if err != nil {
			return err
		}
		prog, err := lowerForDevice(net, spec.Tuning)
		net.Close()
		if err != nil {
			return err
		}
		if e.train, err = e.newProg(prog); err != nil {
			return err
		}
		if e.xb, err = e.alloc(spec.Batch * p.D * e.elem); err != nil {
			return err
		}
		if e.yb, err = e.alloc(spec.Batch * p.K * e.elem); err != nil {
			return err
		}
		e.bindInputs(e.train, e.xb, e.yb)
	}
	return e.sync()
}

// openEngine opens the device of spec and sets up what every engine on it
// has: its stream and cuBLAS handle, W and b uploaded from p, the counters
// and small buffers. It returns with the device's context entered; leave
// undoes that. (The stacked engine is one over the stacked parameters.)
func openEngine[T graph.Float](p *graph.Params[T], spec engine.Spec, splits engine.Splits[T]) (_ *Engine[T], leave func(), err error) {
	ord, err := ParseDevice(spec.Device)
	if err != nil {
		return nil, nil, err
	}
	d, err := openDevice(ord)
	if err != nil {
		return nil, nil, err
	}
	if leave, err = d.enter(); err != nil {
		return nil, nil, err
	}
	var z T
	e := &Engine[T]{d: d, p: p, spec: spec, elem: int(unsafe.Sizeof(z)), classes: p.K, eval: map[int]*devProg[T]{}, graphs: map[graphKey]*execGraph{}, splits: map[string]*devSplit[T]{}, paramsOnHost: true, io: new(hostIO[T]), hostSplits: splits}
	defer func() {
		if err != nil {
			e.free()
			leave()
		}
	}()
	if e.m, err = d.module(graph.Dtype[T]()); err != nil {
		return nil, nil, err
	}
	if e.stream, err = cu.MakeStream(cu.NonBlocking); err != nil {
		return nil, nil, fmt.Errorf("cuda: stream: %v", err)
	}
	if e.blas, err = newBlas(); err != nil {
		return nil, nil, err
	}
	if err = blasSetStream(e.blas, &e.stream); err != nil {
		return nil, nil, err
	}
	for _, b := range []struct {
		p     *cu.DevicePtr
		bytes int
	}{{&e.w, len(p.W) * e.elem}, {&e.b, len(p.B) * e.elem}, {&e.eta, 8}, {&e.ctr, 16}, {&e.curEta, 8}, {&e.count, 8}} {
		if *b.p, err = e.alloc(b.bytes); err != nil {
			return nil, nil, err
		}
	}
	if err = e.upload(e.w, p.W); err != nil {
		return nil, nil, err
	}
	if err = e.upload(e.b, p.B); err != nil {
		return nil, nil, err
	}
	return e, leave, nil
}

func newBlas() (b *cublas.Standard, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("cuda: cuBLAS: %v", r)
		}
	}()
	return cublas.New(), nil
}

func (e *Engine[T]) alloc(bytes int) (cu.DevicePtr, error) {
	p, err := cu.MemAlloc(int64(max(bytes, 8)))
	if err != nil {
		return 0, fmt.Errorf("cuda: allocating %d bytes on cuda:%d: %v", bytes, e.d.ord, err)
	}
	e.allocs = append(e.allocs, p)
	return p, nil
}

func (e *Engine[T]) upload(dst cu.DevicePtr, src []T) error {
	if len(src) == 0 {
		return nil
	}
	if err := cu.MemcpyHtoDAsync(dst, unsafe.Pointer(&src[0]), int64(len(src)*e.elem), e.stream); err != nil {
		return fmt.Errorf("cuda: upload: %v", err)
	}
	return nil
}

func (e *Engine[T]) sync() error {
	if err := e.stream.Synchronize(); err != nil {
		return fmt.Errorf("cuda: cuda:%d: %v", e.d.ord, err)
	}
	return nil
}

// Params implements engine.Engine: W and b are read back into the params
// the engine was built with.
func (e *Engine[T]) Params() (*graph.Params[T], error) {
	if e.paramsOnHost {
		return e.p, nil
	}
	leave, err := e.d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.p.W[0]), e.w, int64(len(e.p.W)*e.elem), e.stream); err != nil {
		return nil, err
	}
	if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.p.B[0]), e.b, int64(len(e.p.B)*e.elem), e.stream); err != nil {
		return nil, err
	}
	if err := e.sync(); err != nil {
		return nil, err
	}
	e.paramsOnHost = true
	return e.p, nil
}

// pushParams uploads the host's W and b while the host copy is the current
// one (before the first step, and after Params): the trainer may change
// the params Params returned in place (early stopping restores the best
// epoch's that way), as the CPU engine, which shares them, allows.
func (e *Engine[T]) pushParams() error {
	if !e.paramsOnHost {
		return nil
	}
	if err := e.upload(e.w, e.p.W); err != nil {
		return err
	}
	return e.upload(e.b, e.p.B)
}

// SetParams uploads p's values (a restored checkpoint, say) to the device.
func (e *Engine[T]) SetParams(p *graph.Params[T]) error {
	if p.K != e.p.K || p.D != e.p.D {
		return fmt.Errorf("cuda: SetParams: shape %d×%d, engine %d×%d", p.K, p.D, e.p.K, e.p.D)
	}
	leave, err := e.d.enter()
	if err != nil {
		return err
	}
	defer leave()
	e.p.CopyFrom(p)
	if err := e.upload(e.w, e.p.W); err != nil {
		return err
	}
	if err := e.upload(e.b, e.p.B); err != nil {
		return err
	}
	e.paramsOnHost = true
	return e.sync()
}

// Close implements engine.Engine.
func (e *Engine[T]) Close() error {
	if e.closed {
		return nil
	}
	leave, err := e.d.enter()
	if err != nil {
		return err
	}
	defer leave()
	e.closed = true
	e.free()
	return nil
}

func (e *Engine[T]) free() {
	for k, g := range e.graphs {
		g.destroy()
		delete(e.graphs, k)
	}
	for _, p := range e.allocs {
		cu.MemFree(p)
	}
	e.allocs = nil
	if e.blas != nil {
		e.blas.Close()
		e.blas = nil
	}
	if e.stream != (cu.Stream{}) {
		e.stream.Destroy()
	}
}

var (
	_ engine.Engine[float32]       = (*Engine[float32])(nil)
	_ EpochTrainer[float64]        = (*Engine[float64])(nil)
	_ engine.EpochTrainer[float32] = (*Engine[float32])(nil)
	_ ParamSetter[float32]         = (*Engine[float32])(nil)
)
