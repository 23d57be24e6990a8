#!/usr/bin/env bash
# gpupack.sh — prepares DIR (default .gpu, ignored through .git/info/exclude)
# for a GPU machine that has neither Go, the CUDA toolkit nor ../shared:
#   gtrain-cuda.xz, cuda.test.xz   the CUDA build, stripped, xz-compressed
#   ref_torch.py                   the PyTorch peer
#   data/                          data_batch_1 and test_batch, packed by
#                                  cuda/cifarpack.py (~43 MB for both)
# Then, on the GPU machine: bash cuda/gpucheck.sh --pack DIR --out "$OUT"
# (the device tool: carry [".gpu"]; everything must stay under 64 MiB).
# Needs CUDA_HOME (headers and stubs; default ../shared/cuda), the data
# (CIFAR10_DIR or ../shared/data/cifar-10-batches-bin), /usr/bin/python3
# with NumPy.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.gpu}
: "${CUDA_HOME:=$(cd ../shared/cuda 2>/dev/null && pwd || echo /usr/local/cuda)}"
CUDA_HOME=$(cd "$CUDA_HOME" && pwd) # cgo runs in the module cache: absolute paths
data=${CIFAR10_DIR:-../shared/data/cifar-10-batches-bin}
peer=${PEER:-../shared/peers/ref_torch.py}
mkdir -p "$dir"
if [ "$dir" = .gpu ] && ! grep -qx '/.gpu/' .git/info/exclude 2>/dev/null; then
  echo /.gpu/ >>.git/info/exclude
fi
export CGO_ENABLED=1 CGO_CFLAGS="-I$PWD/cuda/compat -I$CUDA_HOME/include" CGO_LDFLAGS="-L$CUDA_HOME/lib64/stubs"
go build -tags gtrain_cuda -trimpath -ldflags "-s -w" -o "$dir/gtrain-cuda" ./cmd/gtrain
go test -c -tags gtrain_cuda -trimpath -ldflags "-s -w" -o "$dir/cuda.test" ./cuda/
xz -6 -T2 -f "$dir/gtrain-cuda" "$dir/cuda.test"
cp "$peer" "$dir/ref_torch.py"
if [ ! -f "$dir/data/test_batch.bin.dxz" ]; then
  /usr/bin/python3 cuda/cifarpack.py pack "$data" "$dir/data"
fi
du -sh "$dir" "$dir"/*
