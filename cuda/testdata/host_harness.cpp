// host_harness runs launch plans (plan.go) of kernels.cu on the CPU, one
// emulated thread at a time, for TestKernelsOnHost. Built with g++ and
// testdata/cuda_shim.h; -DREAL=float|double as for NVRTC.
//
// stdin: lines of
//   S n                        number of slots
//   L slot len                 a slot's length
//   V slot count v...          initial values (hex floats)
//   D instr count w...         a Fused descriptor
//   K kernel grid block shared nargs arg...   a launch; arg: i:N f:HEX p:SLOT:OFF 0 D:INSTR T
//   G ta tb m n k A offA lda B offB ldb C ldc   a column-major gemm, beta 0
//   O slot                     print the slot: "O slot len v..." (hex floats)
//   B name type count v...     a named buffer (type i32, i64, u64, f64 or real) with its values
//   R name type count          print a buffer: "R name count v..."
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>
#include <pthread.h>
#include <thread>

#include "../kernels.cu"

static pthread_barrier_t block_barrier;
static void block_sync() { pthread_barrier_wait(&block_barrier); }

alignas(16) unsigned char smem[1 << 16];

static double bits2d(uint64_t u) { double d; std::memcpy(&d, &u, 8); return d; }

int main() {
    std::vector<std::vector<real>> slots;
    std::vector<real *> table;
    std::map<long long, std::vector<long long>> descs;
    std::map<std::string, std::vector<uint64_t>> bufs; // 8-byte cells, whatever the type
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string op;
        in >> op;
        if (op == "S") {
            size_t n; in >> n; slots.resize(n); table.resize(n);
        } else if (op == "L") {
            size_t s, n; in >> s >> n; slots[s].assign(n ? n : 1, (real)0); table[s] = slots[s].data();
        } else if (op == "V") {
            size_t s, n; in >> s >> n;
            for (size_t i = 0; i < n; i++) { std::string v; in >> v; slots[s][i] = (real)std::strtod(v.c_str(), nullptr); }
        } else if (op == "D") {
            long long ins; size_t n; in >> ins >> n;
            std::vector<long long> d(n);
            for (size_t i = 0; i < n; i++) in >> d[i];
            descs[ins] = d;
        } else if (op == "K") {
            std::string name; long long grid, block, shared; size_t nargs;
            in >> name >> grid >> block >> shared >> nargs;
            std::vector<uint64_t> raw(nargs);
            for (size_t i = 0; i < nargs; i++) {
                std::string a; in >> a;
                if (a[0] == 'i') raw[i] = (uint64_t)std::strtoll(a.c_str() + 2, nullptr, 10);
                else if (a[0] == 'f') { double d = std::strtod(a.c_str() + 2, nullptr); std::memcpy(&raw[i], &d, 8); }
                else if (a[0] == 'p') { long long s, off; std::sscanf(a.c_str() + 2, "%lld:%lld", &s, &off); raw[i] = (uint64_t)(uintptr_t)(slots[s].data() + off); }
                else if (a[0] == '0') raw[i] = 0;
                else if (a[0] == 'D') raw[i] = (uint64_t)(uintptr_t)descs.at(std::strtoll(a.c_str() + 2, nullptr, 10)).data();
                else if (a[0] == 'T') raw[i] = (uint64_t)(uintptr_t)table.data();
                else if (a[0] == 'B') raw[i] = (uint64_t)(uintptr_t)bufs.at(a.substr(2)).data();
                else { std::fprintf(stderr, "bad arg %s\n", a.c_str()); return 2; }
            }
#define I(k) ((long long)raw[k])
#define P(k) ((real *)(uintptr_t)raw[k])
#define F(k) (bits2d(raw[k]))
            // The trees of reduce and the shared decode of fused need real
            // threads (barriers): one thread per block is exact. A segment's block runs on real threads,
            // with __syncthreads a barrier: its groups and trees run as on
            // the GPU.
            if (name == "reduce" || name == "fused") block = 1; // fused: its decode is shared
            gridDim.x = (unsigned)grid; blockDim.x = (unsigned)block;
            if (name == "segment" || name == "sqnorm") {
                pthread_barrier_init(&block_barrier, nullptr, (unsigned)block);
                gtrain_barrier = block_sync;
                for (long long b = 0; b < grid; b++) {
                    std::vector<std::thread> threads;
                    for (long long t = 0; t < block; t++) {
                        threads.emplace_back([&, b, t] {
                            blockIdx.x = (unsigned)b; threadIdx.x = (unsigned)t;
                            if (name == "segment") segment((const long long *)(uintptr_t)raw[0], (real *const *)(uintptr_t)raw[1]);
                            else sqnorm(I(0), P(1), P(2), I(3));
                        });
                    }
                    for (auto &th : threads) th.join();
                }
                gtrain_barrier = nullptr;
                pthread_barrier_destroy(&block_barrier);
                continue;
            }
            for (long long b = 0; b < grid; b++) {
                for (long long t = 0; t < block; t++) {
                    blockIdx.x = (unsigned)b; threadIdx.x = (unsigned)t;
                    if (name == "binary") binary(I(0), I(1), I(2), P(3), P(4), I(5), I(6), I(7), F(8), I(9), P(10), I(11), I(12), I(13), F(14), I(15));
                    else if (name == "unary") unary(I(0), I(1), I(2), P(3), P(4), I(5), I(6), I(7), F(8), I(9));
                    else if (name == "reduce") reduce(I(0), I(1), I(2), I(3), P(4), P(5), I(6), I(7), I(8), F(9), I(10));
                    else if (name == "fused") fused(I(0), I(1), (const long long *)(uintptr_t)raw[2], (real *const *)(uintptr_t)raw[3]);
                    else if (name == "gather") gather(I(0), I(1), I(2), P(3), P(4), P(5), P(6), (const int *)(uintptr_t)raw[7],
                                                      (const long long *)(uintptr_t)raw[8], (const double *)(uintptr_t)raw[9], I(10), (double *)(uintptr_t)raw[11]);
                    else if (name == "sgd") sgd(I(0), P(1), P(2), I(3), P(4), P(5), (const double *)(uintptr_t)raw[6], P(7),
                                                (double *)(uintptr_t)raw[8], (long long *)(uintptr_t)raw[9], I(10));
                    else if (name == "correct") correct(I(0), I(1), P(2), (const int *)(uintptr_t)raw[3], (unsigned long long *)(uintptr_t)raw[4]);
                    else if (name == "repeat_rows") repeat_rows(I(0), I(1), I(2), P(3), P(4));
                    else if (name == "stack_sgd") stack_sgd(I(0), I(1), I(2), P(3), P(4), P(5), P(6), (const double *)(uintptr_t)raw[7], P(8), P(9),
                                                            (double *)(uintptr_t)raw[10], I(11), (long long *)(uintptr_t)raw[12], I(13), I(14));
                    else if (name == "stack_correct") stack_correct(I(0), I(1), I(2), P(3), (const int *)(uintptr_t)raw[4],
                                                                    (unsigned long long *)(uintptr_t)raw[5], I(6));
                    else { std::fprintf(stderr, "unknown kernel %s\n", name.c_str()); return 2; }
                }
            }
        } else if (op == "G") {
            int ta, tb; long long m, n, k, A, offA, lda, B, offB, ldb, C, ldc;
            in >> ta >> tb >> m >> n >> k >> A >> offA >> lda >> B >> offB >> ldb >> C >> ldc;
            const real *a = slots[A].data() + offA, *bb = slots[B].data() + offB;
            real *c = slots[C].data();
            for (long long j = 0; j < n; j++)
                for (long long i = 0; i < m; i++) {
                    real s = 0;
                    for (long long l = 0; l < k; l++) {
                        real x = ta ? a[l + i * lda] : a[i + l * lda];
                        real y = tb ? bb[j + l * ldb] : bb[l + j * ldb];
                        s += x * y;
                    }
                    c[i + j * ldc] = s;
                }
        } else if (op == "O") {
            size_t s; in >> s;
            std::printf("O %zu %zu", s, slots[s].size());
            for (real v : slots[s]) std::printf(" %a", (double)v);
            std::printf("\n");
        } else if (op == "B") {
            std::string name, type; size_t n; in >> name >> type >> n;
            size_t size = type == "i32" ? 4 : (type == "real" ? sizeof(real) : 8);
            std::vector<uint64_t> cells((n * size + 7) / 8 + 1, 0);
            unsigned char *base = (unsigned char *)cells.data();
            for (size_t i = 0; i < n; i++) {
                std::string v; if (!(in >> v)) break;
                if (type == "i32") { int x = (int)std::strtol(v.c_str(), nullptr, 10); std::memcpy(base + 4 * i, &x, 4); }
                else if (type == "f64") { double x = std::strtod(v.c_str(), nullptr); std::memcpy(base + 8 * i, &x, 8); }
                else if (type == "real") { real x = (real)std::strtod(v.c_str(), nullptr); std::memcpy(base + sizeof(real) * i, &x, sizeof(real)); }
                else { long long x = std::strtoll(v.c_str(), nullptr, 10); std::memcpy(base + 8 * i, &x, 8); }
            }
            bufs[name] = cells;
        } else if (op == "R") {
            std::string name, type; size_t n; in >> name >> type >> n;
            const unsigned char *base = (const unsigned char *)bufs.at(name).data();
            std::printf("R %s %zu", name.c_str(), n);
            for (size_t i = 0; i < n; i++) {
                if (type == "f64") { double x; std::memcpy(&x, base + 8 * i, 8); std::printf(" %a", x); }
                else if (type == "i32") { int x; std::memcpy(&x, base + 4 * i, 4); std::printf(" %d", x); }
                else if (type == "real") { real x; std::memcpy(&x, base + sizeof(real) * i, sizeof(real)); std::printf(" %a", (double)x); }
                else { long long x; std::memcpy(&x, base + 8 * i, 8); std::printf(" %lld", x); }
            }
            std::printf("\n");
        } else if (!op.empty()) {
            std::fprintf(stderr, "bad line %s\n", line.c_str());
            return 2;
        }
    }
    return 0;
}
