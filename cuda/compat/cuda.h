/*
 * Compatibility header for building gorgonia.org/cu v0.9.6 against CUDA 13.
 *
 * CUDA 13 changed the signatures of five driver API calls that
 * gorgonia.org/cu calls with their CUDA 12 arguments. The driver still
 * exports the old entry points, so this header, placed first on the include
 * path (-I cuda/compat), includes the real cuda.h and then points the five
 * names back at the old entry points with their old prototypes. With CUDA
 * 12 or older headers it only includes the real cuda.h.
 */
#ifndef GTRAIN_COMPAT_CUDA_H
#define GTRAIN_COMPAT_CUDA_H

#include_next <cuda.h>

#if defined(CUDA_VERSION) && CUDA_VERSION >= 13000

#ifdef __cplusplus
extern "C" {
#endif

#undef cuCtxCreate
#define cuCtxCreate cuCtxCreate_v2
CUresult CUDAAPI cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev);

#undef cuMemAdvise
CUresult CUDAAPI cuMemAdvise(CUdeviceptr devPtr, size_t count, CUmem_advise advice, CUdevice device);

#undef cuMemPrefetchAsync
CUresult CUDAAPI cuMemPrefetchAsync(CUdeviceptr devPtr, size_t count, CUdevice dstDevice, CUstream hStream);

#undef cuGraphGetEdges
CUresult CUDAAPI cuGraphGetEdges(CUgraph hGraph, CUgraphNode *from, CUgraphNode *to, size_t *numEdges);

#undef cuGraphAddDependencies
CUresult CUDAAPI cuGraphAddDependencies(CUgraph hGraph, const CUgraphNode *from, const CUgraphNode *to, size_t numDependencies);

#ifdef __cplusplus
}
#endif

#endif /* CUDA_VERSION >= 13000 */
#endif /* GTRAIN_COMPAT_CUDA_H */
