//go:build gtrain_cuda

package cuda

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gorgonia.org/cu"
	cublas "gorgonia.org/cu/blas"
	"gorgonia.org/cu/nvrtc"
	"gorgonia.org/tensor"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models"
)

// Built reports whether this binary has the CUDA backend.
const Built = true

func init() {
	models.RegisterEngine("cuda", models.EngineFactory{
		Float32: func(p *graph.Params[float32], s models.EngineSpec) (models.Engine[float32], error) {
			return NewEngine(p, s)
		},
		Float64: func(p *graph.Params[float64], s models.EngineSpec) (models.Engine[float64], error) {
			return NewEngine(p, s)
		},
	})
}

// ---- devices, contexts and modules (per process) ----

type device struct {
	ord          int
	dev          cu.Device
	ctx          cu.CUContext
	name         string
	major, minor int

	mu      sync.Mutex
	modules map[tensor.Dtype]*module
}

type module struct {
	mod cu.Module
	fns map[string]cu.Function
}

var (
	devicesMu sync.Mutex
	devices   = map[int]*device{}
)

// ParseDevice returns the ordinal of "cuda" (0) or "cuda:N".
func ParseDevice(spec string) (int, error) {
	kind, n, has := strings.Cut(spec, ":")
	if kind != "cuda" {
		return 0, fmt.Errorf("device %q is not a CUDA device", spec)
	}
	if !has {
		return 0, nil
	}
	ord, err := strconv.Atoi(n)
	if err != nil || ord < 0 {
		return 0, fmt.Errorf("device %q: want cuda:N with N ≥ 0", spec)
	}
	return ord, nil
}

// Probe checks that the device spec names a usable GPU and describes it.
func Probe(spec string) (string, error) {
	ord, err := ParseDevice(spec)
	if err != nil {
		return "", err
	}
	d, err := openDevice(ord)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("cuda:%d (%s, compute capability %d.%d)", d.ord, d.name, d.major, d.minor), nil
}

// Count returns the number of CUDA devices (0 when there is no driver or
// no device).
func Count() int {
	n, err := cu.NumDevices()
	if err != nil {
		return 0
	}
	return n
}

func openDevice(ord int) (*device, error) {
	devicesMu.Lock()
	defer devicesMu.Unlock()
	if d, ok := devices[ord]; ok {
		return d, nil
	}
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("cuda: the CUDA driver reports no devices: %v", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("cuda: the CUDA driver is installed but there is no CUDA device")
	}
	if ord >= n {
		return nil, fmt.Errorf("cuda: device cuda:%d asked for; this machine has %d (cuda:0..cuda:%d)", ord, n, n-1)
	}
	dev, err := cu.GetDevice(ord)
	if err != nil {
		return nil, fmt.Errorf("cuda: device %d: %v", ord, err)
	}
	d := &device{ord: ord, dev: dev, modules: map[tensor.Dtype]*module{}}
	if d.name, err = dev.Name(); err != nil {
		return nil, fmt.Errorf("cuda: device %d: %v", ord, err)
	}
	if d.major, d.minor, err = dev.ComputeCapability(); err != nil {
		return nil, fmt.Errorf("cuda: device %d: %v", ord, err)
	}
	if d.ctx, err = dev.RetainPrimaryCtx(); err != nil {
		return nil, fmt.Errorf("cuda: device %d: primary context: %v", ord, err)
	}
	devices[ord] = d
	return d, nil
}

// enter pins the goroutine to its OS thread and makes the device's context
// current there; the returned func undoes the pinning.
func (d *device) enter() (func(), error) {
	runtime.LockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("cuda: setting the context of cuda:%d: %v", d.ord, err)
	}
	return runtime.UnlockOSThread, nil
}

var kernelNames = []string{"binary", "unary", "reduce", "gather", "sgd", "correct", "fused", "segment"}

// module compiles kernels.cu for dt with NVRTC (once per process and
// device) and loads it. The caller has entered the context.
func (d *device) module(dt tensor.Dtype) (*module, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if m, ok := d.modules[dt]; ok {
		return m, nil
	}
	real, isFloat := "double", "0"
	if dt == tensor.Float32 {
		real, isFloat = "float", "1"
	}
	prog, err := nvrtc.CreateProgram(kernelSource, "gtrain_kernels.cu")
	if err != nil {
		return nil, fmt.Errorf("cuda: NVRTC: %v", err)
	}
	defer prog.Destroy()
	arch := fmt.Sprintf("--gpu-architecture=compute_%d%d", d.major, d.minor)
	if err := prog.Compile(arch, "-DREAL="+real, "-DREAL_IS_FLOAT="+isFloat); err != nil {
		log, _ := prog.GetLog()
		return nil, fmt.Errorf("cuda: NVRTC compiling kernels.cu (%s, %s): %v\n%s", arch, real, err, log)
	}
	ptx, err := prog.GetPTX()
	if err != nil {
		return nil, fmt.Errorf("cuda: NVRTC: %v", err)
	}
	mod, err := cu.LoadData(ptx)
	if err != nil {
		return nil, fmt.Errorf("cuda: loading the kernels' PTX: %v", err)
	}
	m := &module{mod: mod, fns: map[string]cu.Function{}}
	for _, name := range kernelNames {
		fn, err := mod.Function(name)
		if err != nil {
			return nil, fmt.Errorf("cuda: kernel %s: %v", name, err)
		}
		m.fns[name] = fn
	}
	d.modules[dt] = m
	return m, nil
}

// ---- kernel launches ----

// kargs collects kernel arguments, each as 8 bytes (gorgonia.org/cu copies
// every argument as a uint64).
type kargs []uint64

func (a *kargs) i(x int)          { *a = append(*a, uint64(int64(x))) }
func (a *kargs) f(x float64)      { *a = append(*a, math.Float64bits(x)) }
func (a *kargs) p(x cu.DevicePtr) { *a = append(*a, uint64(x)) }
func (a kargs) ptrs() []unsafe.Pointer {
	out := make([]unsafe.Pointer, len(a))
	for i := range a {
		out[i] = unsafe.Pointer(&a[i])
	}
	return out
}

// devSlice views device memory as a Go slice for gorgonia.org/cu/blas
// (which passes &s[0] to cuBLAS and never reads it on the host).
func devSlice[T graph.Float](p cu.DevicePtr, n int) []T {
	return unsafe.Slice((*T)(*(*unsafe.Pointer)(unsafe.Pointer(&p))), max(n, 1))
}

// ---- programs on the device ----

type devProg[T graph.Float] struct {
	p          *Program
	ptr        []cu.DevicePtr // per slot
	host       []float64
	table      cu.DevicePtr // ptr on the device, for the fused kernel
	tableHost  []uint64
	tableDirty bool
	descs      []cu.DevicePtr // per instruction: the Fused descriptor
	own        []cu.DevicePtr // per launch of plan: its own descriptor (segments)
	plan       []Launch
}

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
// labels (int32), uploaded once and kept for the engine's life. The host
// slices it was made from identify it.
type devSplit[T graph.Float] struct {
	n         int
	hostX     []T
	hostY     []T
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
	spec   models.EngineSpec
	elem   int

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
	splits   []*devSplit[T]
	staging  *devSplit[T]
	graphs   map[graphKey]*execGraph
	hostEta  float64
	etaSet   bool // the device's η is hostEta
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
// uploading p; p is brought up to date by Params.
func NewEngine[T graph.Float](p *graph.Params[T], spec models.EngineSpec) (e *Engine[T], err error) {
	ord, err := ParseDevice(spec.Device)
	if err != nil {
		return nil, err
	}
	d, err := openDevice(ord)
	if err != nil {
		return nil, err
	}
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	var z T
	e = &Engine[T]{d: d, p: p, spec: spec, elem: int(unsafe.Sizeof(z)), eval: map[int]*devProg[T]{}, graphs: map[graphKey]*execGraph{}, paramsOnHost: true, io: new(hostIO[T])}
	defer func() {
		if err != nil {
			e.free()
		}
	}()
	if e.m, err = d.module(graph.Dtype[T]()); err != nil {
		return nil, err
	}
	if e.stream, err = cu.MakeStream(cu.NonBlocking); err != nil {
		return nil, fmt.Errorf("cuda: stream: %v", err)
	}
	if e.blas, err = newBlas(); err != nil {
		return nil, err
	}
	if err = blasSetStream(e.blas, &e.stream); err != nil {
		return nil, err
	}
	k, dim := p.K, p.D
	if e.w, err = e.alloc(k * dim * e.elem); err != nil {
		return nil, err
	}
	if e.b, err = e.alloc(k * e.elem); err != nil {
		return nil, err
	}
	if e.eta, err = e.alloc(8); err != nil {
		return nil, err
	}
	if e.ctr, err = e.alloc(16); err != nil {
		return nil, err
	}
	if e.curEta, err = e.alloc(8); err != nil {
		return nil, err
	}
	if e.count, err = e.alloc(8); err != nil {
		return nil, err
	}
	if err = e.upload(e.w, p.W); err != nil {
		return nil, err
	}
	if err = e.upload(e.b, p.B); err != nil {
		return nil, err
	}
	if spec.Batch > 0 {
		net, err := graph.NewNet(graph.NetConfig{Loss: spec.Loss, Rows: spec.Batch, Grad: true}, p)
		if err != nil {
			return nil, err
		}
		prog, err := lowerForDevice(net, spec.Tuning)
		net.Close()
		if err != nil {
			return nil, err
		}
		if e.train, err = e.newProg(prog); err != nil {
			return nil, err
		}
		if e.xb, err = e.alloc(spec.Batch * dim * e.elem); err != nil {
			return nil, err
		}
		if e.yb, err = e.alloc(spec.Batch * k * e.elem); err != nil {
			return nil, err
		}
		e.bindInputs(e.train, e.xb, e.yb)
	}
	return e, e.sync()
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

func (e *Engine[T]) newProg(p *Program) (*devProg[T], error) {
	dp := &devProg[T]{p: p, ptr: make([]cu.DevicePtr, len(p.Slots)), host: p.HostValues(e.spec.Lambda)}
	dp.plan = launchPlan(p, dp.host, e.spec.Tuning)
	for i, s := range p.Slots {
		switch s.Role {
		case Temp, Const:
			ptr, err := e.alloc(s.Len * e.elem)
			if err != nil {
				return nil, err
			}
			dp.ptr[i] = ptr
			if s.Role == Const {
				vals := make([]T, s.Len)
				for j, x := range s.Init {
					vals[j] = T(x)
				}
				if err := cu.MemcpyHtoD(ptr, unsafe.Pointer(&vals[0]), int64(len(vals)*e.elem)); err != nil {
					return nil, fmt.Errorf("cuda: upload: %v", err)
				}
			}
		case ParamW:
			dp.ptr[i] = e.w
		case ParamB:
			dp.ptr[i] = e.b
		}
	}
	var err error
	if dp.table, err = e.alloc(8 * len(p.Slots)); err != nil {
		return nil, err
	}
	dp.tableHost = make([]uint64, len(p.Slots))
	dp.tableDirty = true
	dp.descs = make([]cu.DevicePtr, len(p.Instrs))
	for i, in := range p.Instrs {
		if in.Kind != Fused {
			continue
		}
		if len(in.Ops) > MaxFusedOps {
			return nil, fmt.Errorf("cuda: fused instruction of %d ops (at most %d)", len(in.Ops), MaxFusedOps)
		}
		desc := FusedDesc(in, dp.host)
		if dp.descs[i], err = e.alloc(8 * len(desc)); err != nil {
			return nil, err
		}
		if err := cu.MemcpyHtoD(dp.descs[i], unsafe.Pointer(&desc[0]), int64(8*len(desc))); err != nil {
			return nil, fmt.Errorf("cuda: upload: %v", err)
		}
	}
	dp.own = make([]cu.DevicePtr, len(dp.plan))
	for i, l := range dp.plan {
		if l.Desc == nil {
			continue
		}
		if dp.own[i], err = e.alloc(8 * len(l.Desc)); err != nil {
			return nil, err
		}
		if err := cu.MemcpyHtoD(dp.own[i], unsafe.Pointer(&l.Desc[0]), int64(8*len(l.Desc))); err != nil {
			return nil, fmt.Errorf("cuda: upload: %v", err)
		}
	}
	return dp, nil
}

func (e *Engine[T]) bindInputs(dp *devProg[T], x, y cu.DevicePtr) {
	for i, s := range dp.p.Slots {
		switch s.Role {
		case InputX:
			dp.ptr[i] = x
		case InputY:
			dp.ptr[i] = y
		}
	}
	dp.tableDirty = true
}

func (e *Engine[T]) launch(name string, grid, block, shared int, a kargs) error {
	if err := e.m.fns[name].Launch(grid, 1, 1, block, 1, 1, shared, e.stream, a.ptrs()); err != nil {
		return fmt.Errorf("cuda: launching %s: %v", name, err)
	}
	return nil
}

// exec issues the program's instructions on the stream. (During a graph
// capture the slot table is clean: the warm-up run uploaded it.)
func (e *Engine[T]) exec(dp *devProg[T]) error {
	if dp.tableDirty {
		for i, p := range dp.ptr {
			dp.tableHost[i] = uint64(p)
		}
		if err := cu.MemcpyHtoDAsync(dp.table, unsafe.Pointer(&dp.tableHost[0]), int64(8*len(dp.tableHost)), e.stream); err != nil {
			return fmt.Errorf("cuda: upload: %v", err)
		}
		dp.tableDirty = false
	}
	for li := range dp.plan {
		if err := e.issue(dp, li); err != nil {
			return err
		}
	}
	return nil
}

// issue issues launch li of the program's plan: a gemm or a kernel.
func (e *Engine[T]) issue(dp *devProg[T], li int) error {
	l := dp.plan[li]
	g := l.Gemm
	if g == nil {
		return e.launchPlanned(dp, l, dp.own[li], nil)
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if g.TransA {
		ta = blas.Trans
	}
	if g.TransB {
		tb = blas.Trans
	}
	av := devSlice[T](dp.ptr[g.A]+cu.DevicePtr(g.OffA*e.elem), dp.p.Slots[g.A].Len-g.OffA)
	bv := devSlice[T](dp.ptr[g.B]+cu.DevicePtr(g.OffB*e.elem), dp.p.Slots[g.B].Len-g.OffB)
	cv := devSlice[T](dp.ptr[g.C], dp.p.Slots[g.C].Len)
	switch a := any(av).(type) {
	case []float32:
		e.blas.Sgemm(ta, tb, g.M, g.N, g.K, 1, a, g.LdA, any(bv).([]float32), g.LdB, 0, any(cv).([]float32), g.LdC)
	case []float64:
		e.blas.Dgemm(ta, tb, g.M, g.N, g.K, 1, a, g.LdA, any(bv).([]float64), g.LdB, 0, any(cv).([]float64), g.LdC)
	}
	if err := e.blas.Err(); err != nil {
		return fmt.Errorf("cuda: cuBLAS gemm (%s): %v", dp.p.Instrs[l.Instr].Node, err)
	}
	return nil
}

// launchPlanned issues a planned launch; own is its own descriptor on the
// device (ArgOwn), bufs names the engine buffers of ArgBuf arguments.
func (e *Engine[T]) launchPlanned(dp *devProg[T], l Launch, own cu.DevicePtr, bufs map[string]cu.DevicePtr) error {
	a := make(kargs, 0, len(l.Args))
	for _, x := range l.Args {
		switch x.Kind {
		case ArgInt:
			a.i(int(x.Int))
		case ArgFloat:
			a.f(x.Float)
		case ArgSlot:
			a.p(dp.ptr[x.Slot] + cu.DevicePtr(x.Off*e.elem))
		case ArgNull:
			a.p(0)
		case ArgDesc:
			a.p(dp.descs[x.Instr])
		case ArgTable:
			a.p(dp.table)
		case ArgOwn:
			if own == 0 {
				return fmt.Errorf("cuda: %s: no descriptor", l.Kernel)
			}
			a.p(own)
		case ArgBuf:
			p, ok := bufs[x.Name]
			if !ok {
				return fmt.Errorf("cuda: %s: no buffer %q", l.Kernel, x.Name)
			}
			a.p(p)
		}
	}
	return e.launch(l.Kernel, l.Grid, l.Block, l.Shared*e.elem+l.SharedBytes, a)
}

// resident returns the device copy of the split whose host X and Y are x
// and y (uploading it the first time).
func (e *Engine[T]) resident(x, y []T, labels []uint8) (*devSplit[T], error) {
	for _, s := range e.splits {
		if len(s.hostX) == len(x) && unsafe.SliceData(s.hostX) == unsafe.SliceData(x) && unsafe.SliceData(s.hostY) == unsafe.SliceData(y) {
			return s, nil
		}
	}
	n := len(y) / e.p.K
	s := &devSplit[T]{n: n, hostX: x, hostY: y}
	var err error
	if s.x, err = e.alloc(len(x) * e.elem); err != nil {
		return nil, err
	}
	if s.y, err = e.alloc(len(y) * e.elem); err != nil {
		return nil, err
	}
	if s.lab, err = e.alloc(4 * n); err != nil {
		return nil, err
	}
	if err := e.upload(s.x, x); err != nil {
		return nil, err
	}
	if err := e.upload(s.y, y); err != nil {
		return nil, err
	}
	if labels != nil {
		lab := make([]int32, n)
		for i, l := range labels {
			lab[i] = int32(l)
		}
		if err := cu.MemcpyHtoDAsync(s.lab, unsafe.Pointer(&lab[0]), int64(4*n), e.stream); err != nil {
			return nil, err
		}
		if err := e.sync(); err != nil { // lab is Go memory
			return nil, err
		}
	}
	e.splits = append(e.splits, s)
	return s, nil
}

// within returns the first row of batch x inside a resident split, or -1.
func (e *Engine[T]) within(x, y []T) (*devSplit[T], int) {
	d, k := e.p.D, e.p.K
	px, py := uintptr(unsafe.Pointer(unsafe.SliceData(x))), uintptr(unsafe.Pointer(unsafe.SliceData(y)))
	sz := uintptr(e.elem)
	for _, s := range e.splits {
		bx, by := uintptr(unsafe.Pointer(unsafe.SliceData(s.hostX))), uintptr(unsafe.Pointer(unsafe.SliceData(s.hostY)))
		if px < bx || px+uintptr(len(x))*sz > bx+uintptr(len(s.hostX))*sz || (px-bx)%(uintptr(d)*sz) != 0 {
			continue
		}
		row := int((px - bx) / (uintptr(d) * sz))
		if py != by+uintptr(row*k)*sz {
			continue
		}
		return s, row
	}
	return nil, -1
}

// stepGraph returns the captured training step reading from src (through
// the epoch's order when idx; η per step from etas when perStep).
func (e *Engine[T]) stepGraph(src *devSplit[T], idx, perStep bool) (*execGraph, error) {
	key := graphKey{src: src.x, idx: idx, perStep: perStep}
	if g, ok := e.graphs[key]; ok {
		return g, nil
	}
	if err := e.ensureCosts(1); err != nil {
		return nil, err
	}
	// A warm-up outside the capture (lazy module and cuBLAS loading), with
	// η = 0 so that W and b do not move.
	saved := e.hostEta
	if err := e.setEta(0); err != nil {
		return nil, err
	}
	if err := e.setCtr(0); err != nil {
		return nil, err
	}
	if err := e.issueStep(src, idx, false); err != nil {
		return nil, err
	}
	if err := e.sync(); err != nil {
		return nil, err
	}
	if err := e.setEta(saved); err != nil {
		return nil, err
	}
	if err := beginCapture(&e.stream); err != nil {
		return nil, err
	}
	ierr := e.issueStep(src, idx, perStep)
	g, err := endCapture(&e.stream)
	if ierr != nil {
		g.destroy()
		return nil, ierr
	}
	if err != nil {
		return nil, err
	}
	e.graphs[key] = g
	return g, nil
}

// issueStep issues one training step: gather, program, update.
func (e *Engine[T]) issueStep(src *devSplit[T], idx, perStep bool) error {
	gather, sgd := StepLaunches(e.train.p, idx, perStep)
	etas := e.eta
	if perStep {
		etas = e.etas
	}
	bufs := map[string]cu.DevicePtr{"xs": src.x, "ys": src.y, "idx": e.idx, "ctr": e.ctr, "etas": etas, "cur": e.curEta, "costs": e.costs}
	if err := e.launchPlanned(e.train, gather, 0, bufs); err != nil {
		return err
	}
	if err := e.exec(e.train); err != nil {
		return err
	}
	return e.launchPlanned(e.train, sgd, 0, bufs)
}

func (e *Engine[T]) setEta(eta float64) error {
	if e.etaSet && eta == e.hostEta {
		return nil
	}
	e.hostEta, e.etaSet = eta, true
	e.io.eta = eta
	return cu.MemcpyHtoDAsync(e.eta, unsafe.Pointer(&e.io.eta), 8, e.stream)
}

func (e *Engine[T]) setCtr(row int) error {
	e.next.valid = false
	e.io.ctr = [2]int64{int64(row), 0}
	return cu.MemcpyHtoDAsync(e.ctr, unsafe.Pointer(&e.io.ctr[0]), 16, e.stream)
}

// ensureCosts grows the per-step cost record (steps are one graph launch
// apart, so the buffer is fixed when a graph is captured: it is sized for
// the largest epoch once, before the first capture).
func (e *Engine[T]) ensureCosts(steps int) error {
	if steps <= e.costsCap {
		return nil
	}
	if len(e.graphs) > 0 {
		// Captured graphs hold the old pointer: drop them.
		for k, g := range e.graphs {
			g.destroy()
			delete(e.graphs, k)
		}
	}
	e.next.valid = false
	n := max(steps, 1024)
	p, err := e.alloc(8 * n)
	if err != nil {
		return err
	}
	if e.etas, err = e.alloc(8 * n); err != nil {
		return err
	}
	e.costs, e.costsCap = p, n
	e.hostCost = make([]float64, n)
	return nil
}

// Step implements models.Engine. A batch that is a contiguous view of a
// split the engine has seen (Evaluate uploads it) is read on the device;
// any other batch is uploaded. One graph launch and one 8-byte read-back.
func (e *Engine[T]) Step(x, y []T, eta float64) (float64, error) {
	if e.train == nil {
		return 0, fmt.Errorf("cuda: the engine was built without a training batch size")
	}
	if len(x) != e.spec.Batch*e.p.D || len(y) != e.spec.Batch*e.p.K {
		return 0, fmt.Errorf("cuda: Step got %d inputs and %d labels, want %d rows", len(x), len(y), e.spec.Batch)
	}
	leave, err := e.d.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	if err := e.pushParams(); err != nil {
		return 0, err
	}
	e.paramsOnHost = false
	src, row := e.within(x, y)
	if src == nil {
		if e.staging == nil {
			s := &devSplit[T]{n: e.spec.Batch}
			if s.x, err = e.alloc(len(x) * e.elem); err != nil {
				return 0, err
			}
			if s.y, err = e.alloc(len(y) * e.elem); err != nil {
				return 0, err
			}
			e.staging = s
		}
		src, row = e.staging, 0
		if err := e.upload(src.x, x); err != nil {
			return 0, err
		}
		if err := e.upload(src.y, y); err != nil {
			return 0, err
		}
	}
	g, err := e.stepGraph(src, false, false)
	if err != nil {
		return 0, err
	}
	if err := e.setEta(eta); err != nil {
		return 0, err
	}
	// The sgd kernel advanced the counters: consecutive batches of one
	// split (the trainer's unshuffled epoch) upload nothing.
	n := e.next
	if !n.valid || n.src != src || n.row != row || n.step >= e.costsCap {
		if err := e.setCtr(row); err != nil {
			return 0, err
		}
		n.step = 0
	}
	if err := g.launch(&e.stream); err != nil {
		e.next.valid = false
		return 0, err
	}
	if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.hostCost[0]), e.costs+cu.DevicePtr(8*n.step), 8, e.stream); err != nil {
		e.next.valid = false
		return 0, err
	}
	if err := e.sync(); err != nil {
		e.next.valid = false
		return 0, err
	}
	e.next.valid, e.next.src, e.next.row, e.next.step = src != e.staging, src, row+e.spec.Batch, n.step+1
	return e.hostCost[0], nil
}

// TrainEpoch runs the steps of one epoch over s without a host
// synchronization between them: the batches are rows order[i·B:(i+1)·B] of
// s (consecutive rows when order is nil), the last partial batch dropped;
// etas holds one learning rate for the epoch or one per step. It returns
// the cost of every step, read back once at the end.
func (e *Engine[T]) TrainEpoch(s *models.Split[T], order []int, etas []float64) ([]float64, error) {
	if e.train == nil {
		return nil, fmt.Errorf("cuda: the engine was built without a training batch size")
	}
	leave, err := e.d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	if err := e.pushParams(); err != nil {
		return nil, err
	}
	e.paramsOnHost = false
	src, err := e.resident(s.X, s.Y, s.Labels)
	if err != nil {
		return nil, err
	}
	n := src.n
	if order != nil {
		n = len(order)
		if n > e.idxCap {
			// The graphs that read the order hold the old pointer.
			for k, g := range e.graphs {
				if k.idx {
					g.destroy()
					delete(e.graphs, k)
				}
			}
			if e.idx, err = e.alloc(4 * n); err != nil {
				return nil, err
			}
			e.idxCap = n
		}
		ord := make([]int32, n)
		for i, r := range order {
			if r < 0 || r >= src.n {
				return nil, fmt.Errorf("cuda: order[%d] = %d outside the %d rows of %s", i, r, src.n, s.Name)
			}
			ord[i] = int32(r)
		}
		if err := cu.MemcpyHtoDAsync(e.idx, unsafe.Pointer(&ord[0]), int64(4*n), e.stream); err != nil {
			return nil, err
		}
		if err := e.sync(); err != nil { // ord is Go memory
			return nil, err
		}
	}
	steps := n / e.spec.Batch
	if len(etas) != 1 && len(etas) != steps {
		return nil, fmt.Errorf("cuda: TrainEpoch got %d learning rates for %d steps (want 1 or %d)", len(etas), steps, steps)
	}
	if err := e.ensureCosts(steps); err != nil {
		return nil, err
	}
	perStep := len(etas) > 1
	g, err := e.stepGraph(src, order != nil, perStep)
	if err != nil {
		return nil, err
	}
	if perStep {
		if err := cu.MemcpyHtoDAsync(e.etas, unsafe.Pointer(&etas[0]), int64(8*steps), e.stream); err != nil {
			return nil, err
		}
	} else if err := e.setEta(etas[0]); err != nil {
		return nil, err
	}
	if err := e.setCtr(0); err != nil {
		return nil, err
	}
	for i := 0; i < steps; i++ {
		if err := g.launch(&e.stream); err != nil {
			return nil, err
		}
	}
	if steps > 0 {
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.hostCost[0]), e.costs, int64(8*steps), e.stream); err != nil {
			return nil, err
		}
	}
	if err := e.sync(); err != nil { // also: etas was Go memory
		return nil, err
	}
	return append([]float64(nil), e.hostCost[:steps]...), nil
}

// Evaluate implements models.Engine: the split is uploaded once; per block
// of rows one run of the lowered evaluation graph, a count of correct
// arg maxes, and three scalars read back.
func (e *Engine[T]) Evaluate(s *models.Split[T]) (models.Eval, error) {
	ev := models.Eval{N: s.Len()}
	if ev.N == 0 {
		return ev, fmt.Errorf("evaluating %s: no samples", s.Name)
	}
	leave, err := e.d.enter()
	if err != nil {
		return ev, err
	}
	defer leave()
	if err := e.pushParams(); err != nil {
		return ev, err
	}
	src, err := e.resident(s.X, s.Y, s.Labels)
	if err != nil {
		return ev, err
	}
	const block = 10000
	d, k := e.p.D, e.p.K
	var lossSum, reg float64
	for from := 0; from < ev.N; from += block {
		rows := min(block, ev.N-from)
		dp, err := e.evalProg(rows)
		if err != nil {
			return ev, err
		}
		e.bindInputs(dp, src.x+cu.DevicePtr(from*d*e.elem), src.y+cu.DevicePtr(from*k*e.elem))
		if err := e.exec(dp); err != nil {
			return ev, err
		}
		if err := cu.MemsetD8Async(e.count, 0, 8, e.stream); err != nil {
			return ev, err
		}
		bufs := map[string]cu.DevicePtr{"labels": src.lab + cu.DevicePtr(4*from), "count": e.count}
		if err := e.launchPlanned(dp, CorrectLaunch(dp.p), 0, bufs); err != nil {
			return ev, err
		}
		lo, co := dp.p.Outputs["loss"], dp.p.Outputs["cost"]
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.io.scalar[0]), dp.ptr[lo.Slot]+cu.DevicePtr(lo.Off*e.elem), int64(e.elem), e.stream); err != nil {
			return ev, err
		}
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.io.scalar[1]), dp.ptr[co.Slot]+cu.DevicePtr(co.Off*e.elem), int64(e.elem), e.stream); err != nil {
			return ev, err
		}
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&e.io.count), e.count, 8, e.stream); err != nil {
			return ev, err
		}
		if err := e.sync(); err != nil {
			return ev, err
		}
		loss, cost := float64(e.io.scalar[0]), float64(e.io.scalar[1])
		lossSum += loss * float64(rows)
		reg = cost - loss
		ev.Correct += int(e.io.count)
	}
	ev.Loss = lossSum / float64(ev.N)
	ev.Cost = ev.Loss + reg
	return ev, nil
}

func (e *Engine[T]) evalProg(rows int) (*devProg[T], error) {
	if dp, ok := e.eval[rows]; ok {
		return dp, nil
	}
	net, err := graph.NewNet(graph.NetConfig{Loss: e.spec.Loss, Rows: rows}, e.p)
	if err != nil {
		return nil, err
	}
	prog, err := lowerForDevice(net, e.spec.Tuning)
	net.Close()
	if err != nil {
		return nil, err
	}
	dp, err := e.newProg(prog)
	if err != nil {
		return nil, err
	}
	e.eval[rows] = dp
	return dp, nil
}

// Params implements models.Engine: W and b are read back into the params
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

// Close implements models.Engine.
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

// Gradients runs the training graph once on (x, y) without an update and
// returns cost, ∂cost/∂W and ∂cost/∂b, computed on the GPU (for gradcheck).
func Gradients[T graph.Float](device string, p *graph.Params[T], loss graph.Loss, lambda float64, x, y []T) (cost float64, dW, dB []T, err error) {
	return gradients(models.EngineSpec{Device: device, Loss: loss, Lambda: lambda}, p, x, y)
}

// gradients is Gradients on an engine of spec (its Batch set to the rows
// of y), tuning included.
func gradients[T graph.Float](spec models.EngineSpec, p *graph.Params[T], x, y []T) (cost float64, dW, dB []T, err error) {
	spec.Batch = len(y) / p.K
	e, err := NewEngine(p.Clone(), spec)
	if err != nil {
		return 0, nil, nil, err
	}
	defer e.Close()
	leave, err := e.d.enter()
	if err != nil {
		return 0, nil, nil, err
	}
	defer leave()
	if err := e.upload(e.xb, x); err != nil {
		return 0, nil, nil, err
	}
	if err := e.upload(e.yb, y); err != nil {
		return 0, nil, nil, err
	}
	if err := e.exec(e.train); err != nil {
		return 0, nil, nil, err
	}
	out := e.train.p.Outputs
	dW, dB = make([]T, p.K*p.D), make([]T, p.K)
	var c [1]T
	for _, r := range []struct {
		v   View
		dst unsafe.Pointer
		n   int
	}{{out["dW"], unsafe.Pointer(&dW[0]), len(dW)}, {out["dB"], unsafe.Pointer(&dB[0]), len(dB)}, {out["cost"], unsafe.Pointer(&c[0]), 1}} {
		if err := cu.MemcpyDtoHAsync(r.dst, e.train.ptr[r.v.Slot]+cu.DevicePtr(r.v.Off*e.elem), int64(r.n*e.elem), e.stream); err != nil {
			return 0, nil, nil, err
		}
	}
	if err := e.sync(); err != nil {
		return 0, nil, nil, err
	}
	return float64(c[0]), dW, dB, nil
}

var (
	_ models.Engine[float32] = (*Engine[float32])(nil)
	_ EpochTrainer[float64]  = (*Engine[float64])(nil)
	_ ParamSetter[float32]   = (*Engine[float32])(nil)
)
