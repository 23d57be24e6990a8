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

	"gorgonia.org/cu"
	"gorgonia.org/cu/nvrtc"
	"gorgonia.org/tensor"

	"github.com/gtrain/gtrain/graph"
	"github.com/gtrain/gtrain/models/engine"
)

// Built reports whether this binary has the CUDA backend.
const Built = true

// EngineFactory is the factory of the engines of the device kind "cuda",
// for main to register (engine.Register("cuda", cuda.EngineFactory())).
func EngineFactory() engine.Factory {
	return engine.Factory{
		Float32: func(p *graph.Params[float32], s engine.Spec, splits engine.Splits[float32]) (engine.Engine[float32], error) {
			return NewEngine(p, s, splits...)
		},
		Float64: func(p *graph.Params[float64], s engine.Spec, splits engine.Splits[float64]) (engine.Engine[float64], error) {
			return NewEngine(p, s, splits...)
		},
		Stack: StackFactory(),
	}
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
