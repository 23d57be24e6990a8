# gtrain — build, test and check.
GO      ?= go
BIN     ?= bin/gtrain
PKGS    := ./...

.PHONY: all build test vet fmt check bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gtrain

# The test command of the README and of CI. Tests on the real CIFAR-10 run
# when CIFAR10_DIR names its directory and are skipped (saying so) otherwise.
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

# Fuzz every reader and parser for FUZZTIME each (default 60s); crashers
# land in testdata/fuzz/ of their package and then run as regular tests.
FUZZTIME ?= 60s
FUZZ_TARGETS := ./data:FuzzReadBinary ./data:FuzzArchive ./data:FuzzReadPickle \
	./models:FuzzDecodeCheckpoint ./models:FuzzConfigYAML
.PHONY: fuzz
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done
