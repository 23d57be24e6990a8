// Kernels of gtrain's CUDA backend, compiled at first use with NVRTC for the
// device's compute capability, once with -DREAL=float and once with
// -DREAL=double (and -DREAL_IS_FLOAT=1 or 0). Every scalar parameter is a 64-bit long long or double
// (gorgonia.org/cu's Launch copies each kernel argument as 8 bytes).
//
// The function codes are those of fn.go (FnAdd ...): keep them in step.

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

// div_index splits the flat index t of a rows×cols matrix of n elements
// into row i and column j, in 32-bit arithmetic when n allows: 64-bit
// division is emulated, tens of instructions, and a full reduction of
// W's 30 720 elements by one block did 30 of them per thread.
__device__ __forceinline__ void div_index(long long t, long long cols, long long n, long long *i, long long *j) {
    if (n <= 0x7fffffffLL) {
        unsigned tt = (unsigned)t, c = (unsigned)cols, q = tt / c;
        *i = q;
        *j = tt - q * c;
    } else {
        *i = t / cols;
        *j = t % cols;
    }
}

// A view: element (i, j) is p[off + i*rs + j*cs], or the host value h.
#define VIEW(name) const real *name, long long name##off, long long name##rs, long long name##cs, double name##h, long long name##host
#define AT(name, i, j) (name##host ? (real)name##h : name[name##off + (i) * name##rs + (j) * name##cs])

extern "C" __global__ void binary(long long fn, long long rows, long long cols, real *out, VIEW(a), VIEW(b)) {
    long long n = rows * cols;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n; t += (long long)gridDim.x * blockDim.x) {
        long long i, j;
        div_index(t, cols, n, &i, &j);
        out[t] = apply2(fn, AT(a, i, j), AT(b, i, j));
    }
}

extern "C" __global__ void unary(long long fn, long long rows, long long cols, real *out, VIEW(a)) {
    long long n = rows * cols;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n; t += (long long)gridDim.x * blockDim.x) {
        long long i, j;
        div_index(t, cols, n, &i, &j);
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
        else { div_index(t, cols, n, &i, &j); }
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
            div_index(t, d, rows * d, &i, &c);
            long long r = idx ? (long long)idx[base + i] : base + i;
            xb[t] = xs[r * d + c];
        } else {
            long long u = t - rows * d;
            div_index(u, k, rows * k, &i, &c);
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
#define MAX_FUSED_INS (2 * MAX_FUSED_OPS)
#define NO_OPERAND (1LL << 30)

// The descriptor decoded into shared memory, once per block: the element
// loop then reads no descriptor or slot table from global memory (each
// was a chain of dependent loads per element, which made a launch of a
// thousand elements take microseconds).
struct FIn { const real *p; long long rs, cs; double h; long long host; };
struct FOp { long long fn, a, b; real *store; };
#define FIN_BYTES 40
#define FOP_BYTES 32
#define FUSED_SHARED_BYTES (MAX_FUSED_INS * FIN_BYTES + MAX_FUSED_OPS * FOP_BYTES)
static_assert(sizeof(FIn) == FIN_BYTES && sizeof(FOp) == FOP_BYTES, "FIn, FOp sizes");

// decode_fused decodes desc into fin and fop, the block's threads sharing
// the work; the caller synchronizes before using them.
__device__ __forceinline__ void decode_fused(const long long *desc, real *const *slots, FIn *fin, FOp *fop, long long tid, long long nthreads) {
    long long nin = desc[0], nops = desc[1];
    for (long long q = tid; q < nin + nops; q += nthreads) {
        if (q < nin) {
            const long long *v = desc + 2 + 6 * q;
            FIn f;
            f.host = v[4];
            f.h = __longlong_as_double(v[5]);
            f.p = f.host ? (const real *)0 : slots[v[0]] + v[1];
            f.rs = v[2];
            f.cs = v[3];
            fin[q] = f;
        } else {
            const long long *o = desc + 2 + 6 * nin + 4 * (q - nin);
            FOp f;
            f.fn = o[0];
            f.a = o[1];
            f.b = o[2];
            f.store = o[3] >= 0 ? slots[o[3]] : (real *)0;
            fop[q - nin] = f;
        }
    }
}

__device__ __forceinline__ real fused_operand(long long a, const real *reg, const FIn *fin, long long i, long long j) {
    if (a == NO_OPERAND) return (real)0;
    if (a >= 0) return reg[a];
    const FIn *v = fin + (-a - 1);
    return v->host ? (real)v->h : v->p[i * v->rs + j * v->cs];
}

// fused_range runs nops decoded ops over elements start, start+stride, ...
// of rows×cols.
__device__ __forceinline__ void fused_range(long long rows, long long cols, long long nops, const FIn *fin, const FOp *fop,
                                            long long start, long long stride) {
    long long n = rows * cols;
    real reg[MAX_FUSED_OPS];
    for (long long t = start; t < n; t += stride) {
        long long i, j;
        div_index(t, cols, n, &i, &j);
        for (long long k = 0; k < nops; k++) {
            const FOp *o = fop + k;
            real x = fused_operand(o->a, reg, fin, i, j);
            real r = o->b == NO_OPERAND ? apply1(o->fn, x) : apply2(o->fn, x, fused_operand(o->b, reg, fin, i, j));
            reg[k] = r;
            if (o->store) o->store[t] = r;
        }
    }
}

// fused needs FUSED_SHARED_BYTES of shared memory.
extern "C" __global__ void fused(long long rows, long long cols, const long long *desc, real *const *slots) {
    extern __shared__ __align__(16) unsigned char smem[];
    FIn *fin = (FIn *)smem;
    FOp *fop = (FOp *)(smem + MAX_FUSED_INS * FIN_BYTES);
    decode_fused(desc, slots, fin, fop, threadIdx.x, blockDim.x);
    __syncthreads();
    fused_range(rows, cols, desc[1], fin, fop, blockIdx.x * (long long)blockDim.x + threadIdx.x, (long long)gridDim.x * blockDim.x);
}

// segment runs a run of small instructions (plan.go's Segment) in one
// block, in order, with a barrier after each: launch latency, not
// arithmetic, is what such instructions cost. desc: n, total words,
// number of slots, then n offsets into desc, then per instruction either
//   0, rows, cols, a Fused descriptor                  (elementwise)
//   1, fn, axis, rows, cols, out slot, view of 6 words (reduce; the view as
//                                                       a Fused input)
// The descriptor and the slot table are first copied to shared memory.
// A reduction splits the block into groups of S threads (S a power of two,
// at least the reduced length where the block allows), one output per
// group at a time, each a tree in shared memory: the order of the sums is
// fixed by the block size, so runs are deterministic. blockDim.x is
// SEGMENT_BLOCK. Shared memory: blockDim.x reals, FUSED_SHARED_BYTES, the
// descriptor and the table.
#define SEGMENT_BLOCK 1024
extern "C" __global__ void __launch_bounds__(SEGMENT_BLOCK) segment(const long long *gdesc, real *const *gslots) {
    extern __shared__ __align__(16) unsigned char smem[];
    real *sh = (real *)smem;
    unsigned char *rest = smem + ((blockDim.x * sizeof(real) + 15) / 16) * 16;
    FIn *fin = (FIn *)rest;
    FOp *fop = (FOp *)(rest + MAX_FUSED_INS * FIN_BYTES);
    long long *desc = (long long *)(rest + FUSED_SHARED_BYTES);
    long long words = gdesc[1], nslots = gdesc[2];
    real **slots = (real **)(desc + words);
    for (long long t = threadIdx.x; t < words; t += blockDim.x) desc[t] = gdesc[t];
    for (long long t = threadIdx.x; t < nslots; t += blockDim.x) slots[t] = gslots[t];
    __syncthreads();
    long long count = desc[0];
    for (long long q = 0; q < count; q++) {
        const long long *d = desc + desc[3 + q];
        if (d[0] == 0) {
            decode_fused(d + 3, slots, fin, fop, threadIdx.x, blockDim.x);
            __syncthreads();
            fused_range(d[1], d[2], d[4], fin, fop, threadIdx.x, blockDim.x);
        } else {
            long long fn = d[1], axis = d[2], rows = d[3], cols = d[4];
            real *out = slots[d[5]];
            const long long *v = d + 6;
            const real *src = v[4] ? (const real *)0 : slots[v[0]] + v[1];
            real hv = (real)__longlong_as_double(v[5]);
            long long rs = v[2], cs = v[3];
            long long nout = axis == 1 ? rows : (axis == 0 ? cols : 1);
            long long len = axis == 1 ? cols : (axis == 0 ? rows : rows * cols);
            long long size = 1;
            while (size < len && size < (long long)blockDim.x) size <<= 1;
            long long groups = blockDim.x / size, g = threadIdx.x / size, l = threadIdx.x % size;
            real id = fn == FN_MAX ? NEG_INF : (real)0;
            for (long long base = 0; base < nout; base += groups) {
                long long o = base + g;
                real acc = id;
                if (o < nout) {
                    for (long long t = l; t < len; t += size) {
                        long long i, j;
                        if (axis == 1) { i = o; j = t; }
                        else if (axis == 0) { i = t; j = o; }
                        else { div_index(t, cols, len, &i, &j); }
                        real x = src ? src[i * rs + j * cs] : hv;
                        acc = fn == FN_MAX ? (x > acc ? x : acc) : acc + x;
                    }
                }
                sh[threadIdx.x] = acc;
                __syncthreads();
                for (long long s = size / 2; s > 0; s >>= 1) {
                    if (l < s) {
                        real y = sh[threadIdx.x + s];
                        sh[threadIdx.x] = fn == FN_MAX ? (y > sh[threadIdx.x] ? y : sh[threadIdx.x]) : sh[threadIdx.x] + y;
                    }
                    __syncthreads();
                }
                if (l == 0 && o < nout) out[o] = sh[threadIdx.x];
                __syncthreads();
            }
        }
        __syncthreads();
    }
}

// ---- stacks (graph.Stack; plan.go's StackStepLaunches, StackEvalLaunches) ----
// A stack's segment of reps members [from, from + reps) has its own W
// (reps K×d matrices, member-major), b, ∂W, ∂b, data terms and scores,
// (rows·reps)×k, row r·reps + j being sample r under member from + j.
// Per-member values of the whole stack are indexed from + j.

// Products and sums rounded one by one, never contracted into a fused
// multiply-add: the stacked update then has the CPU engine's bits
// (graph.ScaleAxpy, graph.Axpy).
#if REAL_IS_FLOAT
#define MUL_RN __fmul_rn
#define ADD_RN __fadd_rn
#else
#define MUL_RN __dmul_rn
#define ADD_RN __dadd_rn
#endif

// repeat_rows copies each row of in (rows×k) reps times into out
// ((rows·reps)×k): a segment's labels, as graph.Stack.Run feeds them.
extern "C" __global__ void repeat_rows(long long rows, long long reps, long long k, real *out, const real *in) {
    long long n = rows * reps * k;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n; t += (long long)gridDim.x * blockDim.x) {
        long long i, c;
        div_index(t, k, n, &i, &c);
        out[t] = in[(i / reps) * k + c];
    }
}

// sqnorm sets sq[from + m] = Σ w_m² for member m of a segment (block m;
// w_m is w[m·kd, (m+1)·kd)), summed by a tree in shared memory of
// blockDim.x reals (a power of two): deterministic for a block size.
extern "C" __global__ void sqnorm(long long kd, const real *w, real *sq, long long from) {
    extern __shared__ __align__(16) unsigned char smem[];
    real *sh = (real *)smem;
    const real *v = w + (long long)blockIdx.x * kd;
    real acc = (real)0;
    for (long long t = threadIdx.x; t < kd; t += blockDim.x) acc = ADD_RN(acc, MUL_RN(v[t], v[t]));
    sh[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) sh[threadIdx.x] = ADD_RN(sh[threadIdx.x], sh[threadIdx.x + s]);
        __syncthreads();
    }
    if (threadIdx.x == 0) sq[from + blockIdx.x] = sh[0];
}

// stack_sgd records the costs of a segment's members and updates them,
// each with its factors fac[4m .. 4m+3] = a, c, λ, frozen (plan.go's
// StackFactors: a = 1 − 2ηλ, or 1 when λ = 0; c = −η):
//   costs[m] = data_j + λ·sq[m]      (sq: sqnorm's, of W before the update)
//   W_m ← a·W_m + c·∂W_m,  b_m ← b_m + c·∂b_m   (unless frozen)
// for m = from + j. With advance set it moves the counters on as sgd:
// ctr[0] += rows, ctr[1] += 1 (one thread; no other reads them).
extern "C" __global__ void stack_sgd(long long reps, long long kd, long long k, real *w, const real *dw, real *b, const real *db,
                                     const double *fac, const real *data, const real *sq, double *costs, long long from,
                                     long long *ctr, long long rows, long long advance) {
    long long nw = reps * kd, n = nw + reps * k;
    long long start = blockIdx.x * (long long)blockDim.x + threadIdx.x, stride = (long long)gridDim.x * blockDim.x;
    for (long long j = start; j < reps; j += stride) {
        const double *f = fac + 4 * (from + j);
        costs[from + j] = (double)ADD_RN(data[j], MUL_RN((real)f[2], sq[from + j]));
    }
    for (long long t = start; t < n; t += stride) {
        long long j, i;
        if (t < nw) div_index(t, kd, nw, &j, &i);
        else div_index(t - nw, k, reps * k, &j, &i);
        const double *f = fac + 4 * (from + j);
        if (f[3] != 0) continue;
        real a = (real)f[0], c = (real)f[1];
        if (t < nw) w[t] = ADD_RN(MUL_RN(a, w[t]), MUL_RN(c, dw[t]));
        else b[t - nw] = ADD_RN(b[t - nw], MUL_RN(c, db[t - nw]));
    }
    if (advance && start == 0) {
        ctr[1] += 1;
        ctr[0] += rows;
    }
}

// stack_correct adds to counts[from + j] the rows whose first arg max
// under member from + j is the label.
extern "C" __global__ void stack_correct(long long rows, long long reps, long long k, const real *scores, const int *labels,
                                         unsigned long long *counts, long long from) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= rows * reps) return;
    const real *s = scores + i * k;
    long long best = 0;
    for (long long c = 1; c < k; c++) {
        if (s[c] > s[best]) best = c;
    }
    if (best == labels[i / reps]) atomicAdd(counts + from + i % reps, 1ULL);
}
