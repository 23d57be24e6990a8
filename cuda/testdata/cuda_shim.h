// A host-compiler shim for a syntax check of kernels.cu (kernels_test.go):
// just enough of CUDA's built-ins for g++ -fsyntax-only.
#include <cmath>
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__
#define __align__(n) __attribute__((aligned(n)))
struct gtrain_dim3 { unsigned x, y, z; };
static gtrain_dim3 blockIdx, blockDim, threadIdx, gridDim;
static inline void __syncthreads() {}
static inline unsigned long long atomicAdd(unsigned long long *p, unsigned long long v) { unsigned long long o = *p; *p += v; return o; }
#include <cstring>
static inline double __longlong_as_double(long long x) { double d; std::memcpy(&d, &x, sizeof d); return d; }
using std::exp; using std::log; using std::sqrt; using std::fabs; using std::tanh; using std::log1p; using std::expm1; using std::pow;
