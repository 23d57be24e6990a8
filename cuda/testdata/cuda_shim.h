// A host-compiler shim for a syntax check of kernels.cu (kernels_test.go):
// just enough of CUDA's built-ins for g++ -fsyntax-only.
#include <cmath>
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(n)
struct gtrain_dim3 { unsigned x, y, z; };
static gtrain_dim3 blockDim, gridDim;
// Per thread: the harness runs a segment launch's block on real threads.
static thread_local gtrain_dim3 blockIdx, threadIdx;
// __syncthreads is a barrier when the harness runs a block on threads
// (gtrain_barrier set), else nothing (one emulated thread at a time).
static void (*gtrain_barrier)() = nullptr;
static inline void __syncthreads() { if (gtrain_barrier) gtrain_barrier(); }
static inline unsigned long long atomicAdd(unsigned long long *p, unsigned long long v) { unsigned long long o = *p; *p += v; return o; }
#include <cstring>
static inline double __longlong_as_double(long long x) { double d; std::memcpy(&d, &x, sizeof d); return d; }
using std::exp; using std::log; using std::sqrt; using std::fabs; using std::tanh; using std::log1p; using std::expm1; using std::pow;
// The rounded arithmetic intrinsics: the host does not contract a·b + c
// unless asked (-ffp-contract and an FMA target), so plain operators are
// rounded one by one.
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __dadd_rn(double a, double b) { return a + b; }
