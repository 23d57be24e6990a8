//go:build gtrain_cuda

package cuda

/*
#cgo LDFLAGS: -lcuda -lcublas
#include <cuda.h>
#include <cublas_v2.h>

static CUresult gtBeginCapture(CUstream s) { return cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL); }
static CUresult gtEndCapture(CUstream s, CUgraph *g) { return cuStreamEndCapture(s, g); }
static CUresult gtInstantiate(CUgraphExec *e, CUgraph g) { return cuGraphInstantiate(e, g, 0); }
static CUresult gtGraphLaunch(CUgraphExec e, CUstream s) { return cuGraphLaunch(e, s); }
static CUresult gtGraphDestroy(CUgraph g) { return cuGraphDestroy(g); }
static CUresult gtGraphExecDestroy(CUgraphExec e) { return cuGraphExecDestroy(e); }
static int gtBlasSetStream(void *h, CUstream s) { return (int)cublasSetStream((cublasHandle_t)h, (cudaStream_t)s); }
static int gtBlasGetStream(void *h, CUstream *s) { return (int)cublasGetStream((cublasHandle_t)h, (cudaStream_t *)s); }
static const char *gtErrName(CUresult r) { const char *s = 0; cuGetErrorName(r, &s); return s ? s : "unknown CUDA error"; }
*/
import "C"

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"
	cublas "gorgonia.org/cu/blas"
)

// The calls gorgonia.org/cu v0.9.6 does not wrap: stream capture into CUDA
// graphs, their launch, and cublasSetStream.

func cuErr(r C.CUresult, what string) error {
	if r == C.CUDA_SUCCESS {
		return nil
	}
	return fmt.Errorf("cuda: %s: %s (%d)", what, C.GoString(C.gtErrName(r)), int(r))
}

// cStream returns the driver handle of a cu.Stream (a struct holding only
// the CUstream).
func cStream(s *cu.Stream) C.CUstream { return *(*C.CUstream)(unsafe.Pointer(s)) }

type execGraph struct{ g C.CUgraphExec }

func beginCapture(s *cu.Stream) error {
	return cuErr(C.gtBeginCapture(cStream(s)), "cuStreamBeginCapture")
}

// endCapture ends the capture and instantiates the graph.
func endCapture(s *cu.Stream) (*execGraph, error) {
	var g C.CUgraph
	if err := cuErr(C.gtEndCapture(cStream(s), &g), "cuStreamEndCapture"); err != nil {
		return nil, err
	}
	defer C.gtGraphDestroy(g)
	var e C.CUgraphExec
	if err := cuErr(C.gtInstantiate(&e, g), "cuGraphInstantiate"); err != nil {
		return nil, err
	}
	return &execGraph{g: e}, nil
}

func (e *execGraph) launch(s *cu.Stream) error {
	return cuErr(C.gtGraphLaunch(e.g, cStream(s)), "cuGraphLaunch")
}

func (e *execGraph) destroy() {
	if e != nil && e.g != nil {
		C.gtGraphExecDestroy(e.g)
		e.g = nil
	}
}

// blasSetStream puts a cuBLAS handle of gorgonia.org/cu/blas on a stream.
// cublas.Standard does not expose its handle; in v0.9.6 (pinned in go.mod)
// it is the struct's first field. cublasGetStream reads it back as a check.
func blasSetStream(b *cublas.Standard, s *cu.Stream) error {
	h := *(*unsafe.Pointer)(unsafe.Pointer(b))
	if h == nil {
		return fmt.Errorf("cuda: cuBLAS handle is nil")
	}
	if st := C.gtBlasSetStream(h, cStream(s)); st != 0 {
		return fmt.Errorf("cuda: cublasSetStream: status %d", int(st))
	}
	var got C.CUstream
	if st := C.gtBlasGetStream(h, &got); st != 0 || got != cStream(s) {
		return fmt.Errorf("cuda: cublasGetStream: status %d, stream mismatch %v", int(st), got != cStream(s))
	}
	return nil
}
