# gtrain — build, test and check.
GO      ?= go
BIN     ?= bin/gtrain
PKGS    := ./...

.PHONY: all build test vet fmt check bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gtrain

# The test command of the README and of CI. Tests on the real CIFAR-10 run
# when CIFAR10_DIR names its directory and are skipped (saying so) otherwise,
# or fail under GTRAIN_REQUIRE_DATA=1 (as in CI).
test: vet fmt
	$(GO) test -count=1 -timeout 45m $(PKGS)

vet:
	$(GO) vet $(PKGS)

# gofmt must leave every file unchanged.
fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Seconds per epoch of the CPU training path (needs CIFAR10_DIR for real data;
# otherwise runs on synthetic data of the same size).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./models/

clean:
	rm -rf bin

# Fuzz every reader and parser for FUZZTIME each (default 60s), then print
# one line per target with its executions; fails if a target fails.
# Crashers land in testdata/fuzz/ of their package and then run as regular
# tests. Go minimizes each new input for up to -fuzzminimizetime (default
# 60s, more than a short FUZZTIME: 30s gave FuzzArchive 10 executions);
# FUZZMINIMIZETIME keeps it short, so the time goes to fuzzing (the
# archive target finds new inputs all the time: 2s gave it 19k executions
# in 30s, 500ms 41k). One target a line: package:function.
FUZZTIME ?= 60s
FUZZMINIMIZETIME ?= 500ms
FUZZ_TARGETS := \
	./data:FuzzReadBinary \
	./data:FuzzArchive \
	./data:FuzzReadPickle \
	./models/runfiles:FuzzDecodeCheckpoint \
	./models:FuzzCheckpointFields \
	./models:FuzzDecodeModel \
	./models/config:FuzzConfigYAML \
	./models/npzfile:FuzzReadGradFile \
	./models/sweep:FuzzParse \

.PHONY: fuzz
fuzz:
	@log=$$(mktemp); summary=$$(mktemp); failed=0; \
	for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		if $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) \
			-fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg >$$log 2>&1; then res=ok; \
		else res=FAILED; failed=1; cat $$log; fi; \
		execs=$$(sed -n 's/.*fuzz: elapsed: [^,]*, execs: \([0-9]*\).*/\1/p' $$log | tail -n 1); \
		if [ -z "$$execs" ] && [ $$res = ok ]; then res="FAILED: it did not fuzz"; failed=1; cat $$log; fi; \
		printf 'fuzz %-22s %-15s %10s execs in %s: %s\n' $$fn $$pkg "$${execs:-?}" $(FUZZTIME) "$$res" | tee -a $$summary; \
	done; \
	echo "== summary"; cat $$summary; rm -f $$log $$summary; exit $$failed

# ---- CUDA backend (issue 5) ----
# The backend is behind the build tag gtrain_cuda (not "cuda": that tag
# switches Gorgonia itself into its CUDA mode, which needs cuDNN 7). cgo
# finds CUDA under CUDA_HOME; cuda/compat comes first on the include path
# so that gorgonia.org/cu v0.9.6 builds against CUDA 13 headers. Linking
# uses the stubs: the binary loads the machine's libcuda.so.1,
# libcublas.so.13 and libnvrtc.so.13 when it starts.
CUDA_HOME ?= /usr/local/cuda
CUDA_TAGS := gtrain_cuda
CUDA_BIN  ?= bin/gtrain-cuda
CUDA_TEST ?= bin/cuda.test
# cgo runs in the module cache, so the paths must be absolute.
CUDA_ABS   = $(abspath $(CUDA_HOME))
CUDA_ENV   = CGO_ENABLED=1 CGO_CFLAGS="-I$(CURDIR)/cuda/compat -I$(CUDA_ABS)/include" \
	CGO_LDFLAGS="-L$(CUDA_ABS)/lib64/stubs -L$(CUDA_ABS)/lib64"
.PHONY: build-cuda vet-cuda gpu-check

# bin/gtrain-cuda (gtrain with --device cuda) and bin/cuda.test (the GPU
# tests and benchmarks), both needed by gpu-check.
build-cuda:
	$(CUDA_ENV) $(GO) build -tags $(CUDA_TAGS) -o $(CUDA_BIN) ./cmd/gtrain
	$(CUDA_ENV) $(GO) test -c -tags $(CUDA_TAGS) -o $(CUDA_TEST) ./cuda/

# Compiles and links the CUDA build and all its test binaries; runs none
# (-exec true: without a driver they could not even start).
vet-cuda:
	$(CUDA_ENV) $(GO) vet -tags $(CUDA_TAGS) $(PKGS)
	$(CUDA_ENV) $(GO) test -tags $(CUDA_TAGS) -count=1 -run XXX_NONE -exec true $(PKGS)

# On a GPU machine: kernel tests, gradcheck on the GPU, Model 3 GPU vs CPU,
# timings beside PyTorch; one summary table (cuda/gpucheck.sh --help).
# GPUCHECK_ARGS passes options, e.g. --data DIR --peer path/to/ref_torch.py.
gpu-check: build-cuda build
	bash cuda/gpucheck.sh --bin $(CUDA_BIN) --cpu-bin $(BIN) --test $(CUDA_TEST) $(GPUCHECK_ARGS)

# The OpenBLAS build (opt-in; needs libopenblas-dev, e.g. apt-get install -y
# libopenblas-dev): Gorgonia's and the tensor package's matrix products run
# on OpenBLAS through cgo (gonum.org/v1/netlib). The default build and tests
# need no OpenBLAS.
.PHONY: build-openblas test-openblas vet-openblas bench-openblas bench-cpu
build-openblas:
	$(GO) build -tags openblas -o bin/gtrain-openblas ./cmd/gtrain

test-openblas:
	$(GO) vet -tags openblas ./graph/ ./models/
	$(GO) test -count=1 -tags openblas ./graph/ ./models/

# What CI runs of the OpenBLAS build: vet, the build, the graph tests and
# the short model tests.
vet-openblas:
	$(GO) vet -tags openblas ./graph/... ./models/ ./cmd/gtrain/
	$(GO) build -tags openblas -o /dev/null ./cmd/gtrain
	$(GO) test -count=1 -tags openblas ./graph/...
	$(GO) test -count=1 -short -tags openblas ./models/

bench-openblas:
	$(GO) test -tags openblas -run '^$$' -bench 'Epoch|Gemm' -benchtime 3x ./graph/ ./models/

# The epoch benchmarks at the course protocol (batch 100) and the two
# matrix products on the default (pure-Go) build.
bench-cpu:
	$(GO) test -run '^$$' -bench 'Epoch/.*/.*/batch=100|Gemm' -benchtime 3x ./graph/ ./models/

# .gpu/: what gpucheck needs on a GPU machine without Go, toolkit or
# ../shared (compressed binaries, the peer, packed data; cuda/gpupack.sh).
.PHONY: gpu-pack
gpu-pack:
	CUDA_HOME=$(abspath $(CUDA_HOME)) bash cuda/gpupack.sh .gpu
