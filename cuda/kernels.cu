// Kernels of gtrain's CUDA backend, compiled at first use with NVRTC for the
// device's compute capability, once with -DREAL=float and once with
// -DREAL=double (and -DREAL_IS_FLOAT=1 or 0). Every scalar parameter is a 64-bit long long or double
// (gorgonia.org/cu's Launch copies each kernel argument as 8 bytes).
//
// The function codes are those of lower.go (FnAdd ...): keep them in step.

typedef REAL real;

// Math of the element type: NVRTC has no <cmath>, so no overloads to rely on.
#if REAL_IS_FLOAT
#define M_EXP expf
#define M_LOG logf
#define M_POW powf
#define M_SQRT sqrtf
#define M_FABS fabsf
#define M_TANH tanhf
#define M_LOG1P log1pf
#define M_EXPM1 expm1f
#else
#define M_EXP exp
#define M_LOG log
#define M_POW pow
#define M_SQRT sqrt
#define M_FABS fabs
#define M_TANH tanh
#define M_LOG1P log1p
#define M_EXPM1 expm1
#endif
#define NEG_INF ((real)-__longlong_as_double(0x7ff0000000000000LL))

#define FN_ADD 0
#define FN_SUB 1
#define FN_MUL 2
#define FN_DIV 3
#define FN_POW 4
#define FN_LT 5
#define FN_GT 6
#define FN_LE 7
#define FN_GE 8
#define FN_EQ 9
#define FN_NE 10
#define FN_EXP 11
#define FN_LN 12
#define FN_NEG 13
#define FN_SQUARE 14
#define FN_SQRT 15
#define FN_ABS 16
#define FN_SIGN 17
#define FN_INV 18
#define FN_CUBE 19
#define FN_TANH 20
#define FN_SIGMOID 21
#define FN_LOG1P 22
#define FN_EXPM1 23
#define FN_SUM 24
#define FN_MAX 25
#define FN_IDENTITY 26

__device__ __forceinline__ real apply2(long long fn, real a, real b) {
    switch (fn) {
    case FN_ADD: return a + b;
    case FN_SUB: return a - b;
    case FN_MUL: return a * b;
    case FN_DIV: return a / b;
    case FN_POW: return M_POW(a, b);
    case FN_LT: return a < b ? (real)1 : (real)0;
    case FN_GT: return a > b ? (real)1 : (real)0;
    case FN_LE: return a <= b ? (real)1 : (real)0;
    case FN_GE: return a >= b ? (real)1 : (real)0;
    case FN_EQ: return a == b ? (real)1 : (real)0;
    case FN_NE: return a != b ? (real)1 : (real)0;
    }
    return (real)0 / (real)0;
}

__device__ __forceinline__ real apply1(long long fn, real x) {
    switch (fn) {
    case FN_EXP: return M_EXP(x);
    case FN_LN: return M_LOG(x);
    case FN_NEG: return -x;
    case FN_SQUARE: return x * x;
    case FN_SQRT: return M_SQRT(x);
    case FN_ABS: return M_FABS(x);
    case FN_SIGN: return x > (real)0 ? (real)1 : (x < (real)0 ? (real)-1 : (real)0);
    case FN_INV: return (real)1 / x;
    case FN_CUBE: return x * x * x;
    case FN_TANH: return M_TANH(x);
    case FN_SIGMOID: return (real)1 / ((real)1 + M_EXP(-x));
    case FN_LOG1P: return M_LOG1P(x);
    case FN_EXPM1: return M_EXPM1(x);
    case FN_IDENTITY: return x;
    }
    return (real)0 / (real)0;
}

// A view: element (i, j) is p[off + i*rs + j*cs], or the host value h.
#define VIEW(name) const real *name, long long name##off, long long name##rs, long long name##cs, double name##h, long long name##host
#define AT(name, i, j) (name##host ? (real)name##h : name[name##off + (i) * name##rs + (j) * name##cs])

extern "C" __global__ void binary(long long fn, long long rows, long long cols, real *out, VIEW(a), VIEW(b)) {
    long long n = rows * cols;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n; t += (long long)gridDim.x * blockDim.x) {
        long long i = t / cols, j = t % cols;
        out[t] = apply2(fn, AT(a, i, j), AT(b, i, j));
    }
}

extern "C" __global__ void unary(long long fn, long long rows, long long cols, real *out, VIEW(a)) {
    long long n = rows * cols;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n; t += (long long)gridDim.x * blockDim.x) {
        long long i = t / cols, j = t % cols;
        out[t] = apply1(fn, AT(a, i, j));
    }
}

// reduce: one block per output. axis 1: output i reduces row i; axis 0:
// output j reduces column j; axis -1: the one output reduces everything.
// blockDim.x is a power of two; shared memory holds blockDim.x reals.
extern "C" __global__ void reduce(long long fn, long long axis, long long rows, long long cols, real *out, VIEW(a)) {
    extern __shared__ __align__(16) unsigned char smem[];
    real *sh = (real *)smem;
    long long o = blockIdx.x;
    long long n = axis == 1 ? cols : (axis == 0 ? rows : rows * cols);
    real acc = fn == FN_MAX ? NEG_INF : (real)0;
    for (long long t = threadIdx.x; t < n; t += blockDim.x) {
        long long i, j;
        if (axis == 1) { i = o; j = t; }
        else if (axis == 0) { i = t; j = o; }
        else { i = t / cols; j = t % cols; }
        real x = AT(a, i, j);
        acc = fn == FN_MAX ? (x > acc ? x : acc) : acc + x;
    }
    sh[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            real y = sh[threadIdx.x + s];
            sh[threadIdx.x] = fn == FN_MAX ? (y > sh[threadIdx.x] ? y : sh[threadIdx.x]) : sh[threadIdx.x] + y;
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) out[o] = sh[0];
}

// gather copies the rows of a training step into the batch buffers: row i
// of the batch is row idx[ctr[0] + i] of the split (or ctr[0] + i when idx is
// null). ctr[0] is the row offset of the step in the epoch's order, ctr[1]
// the step. It also sets the step's learning rate, *cur = etas[ctr[1] *
// stride] (stride 0: one rate), read by sgd after it.
extern "C" __global__ void gather(long long rows, long long d, long long k, real *xb, real *yb,
                                  const real *xs, const real *ys, const int *idx, const long long *ctr,
                                  const double *etas, long long stride, double *cur) {
    long long base = ctr[0];
    if (blockIdx.x == 0 && threadIdx.x == 0) *cur = etas[ctr[1] * stride];
    long long n = rows * (d + k);
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n; t += (long long)gridDim.x * blockDim.x) {
        long long i, c;
        if (t < rows * d) {
            i = t / d; c = t % d;
            long long r = idx ? (long long)idx[base + i] : base + i;
            xb[t] = xs[r * d + c];
        } else {
            long long u = t - rows * d;
            i = u / k; c = u % k;
            long long r = idx ? (long long)idx[base + i] : base + i;
            yb[u] = ys[r * k + c];
        }
    }
}

// sgd applies W -= eta dW, b -= eta db (eta: the rate gather set), records
// the step's cost in costs[ctr[1]] and advances the counters: ctr[0] +=
// rows, ctr[1] += 1 (one thread, at its end: no other thread reads them).
extern "C" __global__ void sgd(long long nw, real *w, const real *dw, long long nb, real *b, const real *db,
                               const double *eta, const real *cost, double *costs, long long *ctr, long long rows) {
    real e = (real)*eta;
    long long n = nw + nb;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n; t += (long long)gridDim.x * blockDim.x) {
        if (t < nw) w[t] -= e * dw[t];
        else b[t - nw] -= e * db[t - nw];
    }
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        costs[ctr[1]] = (double)*cost;
        ctr[1] += 1;
        ctr[0] += rows;
    }
}

// correct counts the rows whose first arg max is the label.
extern "C" __global__ void correct(long long rows, long long k, const real *scores, const int *labels, unsigned long long *count) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= rows) return;
    const real *s = scores + i * k;
    long long best = 0;
    for (long long c = 1; c < k; c++) {
        if (s[c] > s[best]) best = c;
    }
    if (best == labels[i]) atomicAdd(count, 1ULL);
}

// fused runs a Fused instruction (fuse.go) over rows×cols elements. desc
// holds, as 64-bit words: nIn, nOps; per input: slot, off, rs, cs, isHost,
// host value (bits of a double); per op: fn, a, b, store slot (-1: none).
// An operand ≥ 0 is an op's result, < 0 input -operand-1; b is NO_OPERAND
// for unary functions. slots is the table of the program's slot pointers.
#define MAX_FUSED_OPS 32
#define NO_OPERAND (1LL << 30)
extern "C" __global__ void fused(long long rows, long long cols, const long long *desc, real *const *slots) {
    long long nin = desc[0], nops = desc[1];
    const long long *in = desc + 2;
    const long long *ops = desc + 2 + 6 * nin;
    long long n = rows * cols;
    real reg[MAX_FUSED_OPS];
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n; t += (long long)gridDim.x * blockDim.x) {
        long long i = t / cols, j = t % cols;
        for (long long k = 0; k < nops; k++) {
            const long long *o = ops + 4 * k;
            real x[2];
            for (int q = 0; q < 2; q++) {
                long long a = o[1 + q];
                if (a == NO_OPERAND) { x[q] = (real)0; continue; }
                if (a >= 0) { x[q] = reg[a]; continue; }
                const long long *v = in + 6 * (-a - 1);
                x[q] = v[4] ? (real)__longlong_as_double(v[5]) : slots[v[0]][v[1] + i * v[2] + j * v[3]];
            }
            real r = o[2] == NO_OPERAND ? apply1(o[0], x[0]) : apply2(o[0], x[0], x[1]);
            reg[k] = r;
            if (o[3] >= 0) slots[o[3]][t] = r;
        }
    }
}
