#!/usr/bin/env bash
# gpucheck.sh — the GPU check of issue 5, for a machine with an NVIDIA GPU.
#
# Runs, with prebuilt binaries (nothing is compiled here):
#   1. the CUDA tests of package cuda (kernels, GPU autodiff vs TapeMachine,
#      GPU engine vs CPU engine, Step vs TrainEpoch),
#   2. gtrain gradcheck --device cuda for both losses,
#   3. the report's Model 3 (40 epochs) on the GPU and on the CPU, float32
#      and float64: test accuracies within 0.2 points (float32) and 0.01
#      points (float64),
#   4. ms/epoch for float32/float64 x batch 100/500: gtrain's trainer path
#      (one Step per batch), the engine's TrainEpoch path (no host sync in
#      the epoch; BenchmarkEpoch on synthetic data), and PyTorch
#      (ref_torch.py --device cuda) in the same run,
#   5. stacks: a sweep of 8 runs per dtype (cross/svm x lambda 0/0.1 x eta
#      0.001/0.01, --stack 8: one stack of both losses per dtype) trained on
#      the GPU and on the CPU, every run's test accuracy within 0.01 points
#      (float64) or 0.3 (float32) and its final training cost within 1e-6
#      (float64) or 1e-2 (float32) relative of the CPU's; and gtrain bench
#      --stack 1,16,64 on the GPU (ms per configuration-epoch),
#   6. k-layer nets, NEVER RUN ON A GPU YET: the lowered programs of 2- and
#      3-layer nets, a 3-layer batch-normalized one (5-50-30-4, batch 100)
#      among them, on the GPU against the TapeMachine, every output
#      (TestGPUMLPMatchesTapeMachine; also unfused and unsegmented),
# and prints one summary table (also written to OUTDIR/summary.txt). Exit
# status: 0 when every check passed.
#
# usage: cuda/gpucheck.sh [--pack DIR] [--bin gtrain-cuda] [--cpu-bin gtrain]
#          [--test cuda.test] [--data CIFAR_BIN_DIR] [--peer ref_torch.py]
#          [--out OUTDIR] [--epochs 40] [--time-epochs 5] [--stack-epochs 3] [--bundle]
#          [--deadline SECONDS] [--quick]
#
# --quick runs only the CUDA tests and the GPU benchmarks (a tuning loop;
# the stacked bench too, not the stacked sweeps);
# the full check is what a result is reported from.
#
# --deadline caps the whole check: every step's timeout is cut to what is
# left (at least 10 s), so a hang costs one step, never the whole budget.
#
# --bundle leaves only summary.txt, results.tsv, timings.tsv and
# logs.tgz in OUTDIR (for the device tool, which brings back 8 files);
# the tail of every failing log is printed either way.
#
# --pack DIR reads what cuda/gpupack.sh (make gpu-pack) left in DIR: the
# xz-compressed binaries, ref_torch.py and the delta+xz-packed CIFAR-10
# files (data_batch_1 and test_batch; test_batch also stands in for
# data_batch_2, the validation split, which changes no training or test
# number). Without --pack the paths default to bin/gtrain-cuda,
# bin/cuda.test, $CIFAR10_DIR (or ../shared/data/cifar-10-batches-bin) and
# ../shared/peers/ref_torch.py.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

pack="" bin="" cpubin="" testbin="" data="${CIFAR10_DIR:-}" peer="" out="${OUT:-}"
epochs=40 tepochs=5 sepochs=3 bundle=0 deadline=0 quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --pack) pack=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --cpu-bin) cpubin=$2; shift 2 ;;
    --test) testbin=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --peer) peer=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --time-epochs) tepochs=$2; shift 2 ;;
    --stack-epochs) sepochs=$2; shift 2 ;;
    --bundle) bundle=1; shift ;;
    --quick) quick=1; shift ;;
    --deadline) deadline=$2; shift 2 ;;
    -h|--help) sed -n '2,50p' "$0"; exit 0 ;;
    *) echo "gpucheck: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out=$(mktemp -d /tmp/gpucheck.XXXXXX)
mkdir -p "$out"
out=$(cd "$out" && pwd)
logs=$out
[ "$bundle" = 1 ] && logs=$out/logs
mkdir -p "$logs"
work=$(mktemp -d /tmp/gpucheck-work.XXXXXX)
log() { echo "gpucheck: $*" >&2; }
# tmo N: N seconds, or what is left before the deadline when less.
tmo() {
  local t=$1
  if [ "$deadline" -gt 0 ]; then
    local left=$((deadline - SECONDS))
    [ "$left" -lt "$t" ] && t=$left
    [ "$t" -lt 10 ] && t=10
  fi
  echo "$t"
}

# A python3 with NumPy, the one on PATH first: on the GPU machines it is
# the one with PyTorch.
PY=""
for p in $(which -a python3 2>/dev/null) /usr/bin/python3; do
  if "$p" -c 'import numpy' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { log "no python3 with NumPy"; exit 2; }

if [ -n "$pack" ]; then
  pack=$(cd "$pack" && pwd)
  for f in gtrain-cuda cuda.test; do
    if [ -f "$pack/$f.xz" ]; then
      if command -v xz >/dev/null; then xz -dc "$pack/$f.xz" >"$work/$f"
      else "$PY" -c 'import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' "$pack/$f.xz" >"$work/$f"; fi
      chmod +x "$work/$f"
    fi
  done
  [ -n "$bin" ] || bin=$work/gtrain-cuda
  [ -n "$testbin" ] || testbin=$work/cuda.test
  [ -n "$peer" ] || peer=$pack/ref_torch.py
  if [ -z "$data" ] && [ -d "$pack/data" ]; then
    data=$work/cifar
    "$PY" "$root/cuda/cifarpack.py" unpack "$pack/data" "$data" || { log "unpacking the data failed"; exit 1; }
  fi
fi
[ -n "$bin" ] || bin=bin/gtrain-cuda
[ -n "$cpubin" ] || cpubin=$bin # the cuda build runs --device cpu as well
[ -n "$testbin" ] || testbin=bin/cuda.test
[ -n "$peer" ] || peer=../shared/peers/ref_torch.py
[ -n "$data" ] || data=../shared/data/cifar-10-batches-bin
for f in "$bin" "$cpubin" "$testbin"; do
  [ -x "$f" ] || { log "no executable $f (make build-cuda, or --pack)"; exit 2; }
done
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
cpubin=$(cd "$(dirname "$cpubin")" && pwd)/$(basename "$cpubin")
testbin=$(cd "$(dirname "$testbin")" && pwd)/$(basename "$testbin")
[ -d "$data" ] && data=$(cd "$data" && pwd)
export CIFAR10_DIR=$data

# The binaries load libcuda.so.1, libcublas.so.13 and libnvrtc.so.13: add
# the usual places (the toolkit, pip's nvidia-* wheels) when ld.so misses them.
if ldd "$bin" | grep -q "not found"; then
  extra=""
  for d in /usr/local/cuda/lib64 /usr/local/cuda-13*/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu; do
    [ -d "$d" ] && extra="$extra:$d"
  done
  for d in $("$PY" - <<'EOF' 2>/dev/null
import glob, site, sys
roots = site.getsitepackages() + [site.getusersitepackages()] + sys.path
seen = set()
for r in roots:
    for lib in glob.glob(r + "/nvidia/*/lib") + glob.glob(r + "/nvidia/cu13/lib"):
        if lib not in seen:
            seen.add(lib); print(lib)
EOF
); do extra="$extra:$d"; done
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}$extra"
  if ldd "$bin" | grep "not found"; then
    log "the libraries above are missing: install the CUDA 13 runtime libraries or set LD_LIBRARY_PATH"
  fi
fi

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpucheck: GPU: /' >&2
results=$out/results.tsv
: >"$results"
rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; } # check, status, detail

# 1. CUDA tests.
log "1/6 CUDA tests"
if (cd "$root/cuda" && timeout "$(tmo 160)" "$testbin" -test.v -test.count=1 -test.timeout 150s) >"$logs/tests.log" 2>&1; then
  rec "cuda tests" PASS "$(grep -c '^--- PASS' "$logs/tests.log") passed, $(grep -c '^--- SKIP' "$logs/tests.log") skipped"
else
  rec "cuda tests" FAIL "$(grep -E '^(--- FAIL|panic|.*error while loading)' "$logs/tests.log" | head -3 | tr '\n' ' ')"
fi

# The GPU tests again without kernel fusion (the test flag -cuda-no-fuse):
# tells a fused-kernel bug from the rest.
if (cd "$root/cuda" && timeout "$(tmo 100)" "$testbin" -cuda-no-fuse -test.v -test.count=1 -test.run 'GPU|Engine|Resident|TrainEpoch|Params' -test.timeout 90s) >"$logs/tests-unfused.log" 2>&1; then
  rec "cuda tests, unfused" PASS "$(grep -c '^--- PASS' "$logs/tests-unfused.log") passed"
else
  rec "cuda tests, unfused" FAIL "$(grep -E '^(--- FAIL|panic)' "$logs/tests-unfused.log" | head -3 | tr '\n' ' ')"
fi

# And without segments (-cuda-no-segments: each small instruction its own
# launch).
if (cd "$root/cuda" && timeout "$(tmo 100)" "$testbin" -cuda-no-segments -test.v -test.count=1 -test.run 'GPU|Engine|Resident|TrainEpoch|Params' -test.timeout 90s) >"$logs/tests-unsegmented.log" 2>&1; then
  rec "cuda tests, unsegmented" PASS "$(grep -c '^--- PASS' "$logs/tests-unsegmented.log") passed"
else
  rec "cuda tests, unsegmented" FAIL "$(grep -E '^(--- FAIL|panic)' "$logs/tests-unsegmented.log" | head -3 | tr '\n' ' ')"
fi

if [ "$quick" = 0 ]; then
# 2. gradcheck on the GPU.
log "2/6 gradcheck --device cuda"
for loss in cross svm; do
  if timeout "$(tmo 120)" "$bin" --device cuda gradcheck --loss "$loss" >"$logs/gradcheck-$loss.log" 2>&1; then st=PASS; else st=FAIL; fi
  worst=$(grep -E ' vs ' "$logs/gradcheck-$loss.log" | tr '\n' ';' | tr -s ' ')
  [ -n "$worst" ] || worst=$(tail -1 "$logs/gradcheck-$loss.log")
  if [ "$st" = PASS ] && ! grep -q "(cuda" "$logs/gradcheck-$loss.log"; then
    st="$st(cpu)"; worst="GPU hook not in gradcheck.go: this was the CPU check; $worst"
  fi
  rec "gradcheck $loss" "$st" "$worst"
done

# 3. Model 3, GPU vs CPU. The CPU runs go in the background meanwhile.
log "3/6 Model 3, $epochs epochs, GPU and CPU"
declare -A pid
for dt in float32 float64; do
  timeout "$(tmo 300)" "$cpubin" --device cpu train --epochs "$epochs" --dtype "$dt" --out "$work/m3-cpu-$dt" --force -q >"$logs/m3-cpu-$dt.log" 2>&1 &
  pid[$dt]=$!
done
for dt in float32 float64; do
  timeout "$(tmo 240)" "$bin" --device cuda train --epochs "$epochs" --dtype "$dt" --out "$work/m3-gpu-$dt" --force -q >"$logs/m3-gpu-$dt.log" 2>&1 ||
    log "GPU Model 3 $dt failed: $(tail -1 "$logs/m3-gpu-$dt.log")"
done
for dt in float32 float64; do
  wait "${pid[$dt]}" || log "CPU Model 3 $dt failed: $(tail -1 "$logs/m3-cpu-$dt.log")"
  tol=0.2; [ "$dt" = float64 ] && tol=0.01
  line=$("$PY" - "$work/m3-gpu-$dt/result.json" "$work/m3-cpu-$dt/result.json" "$tol" <<'EOF'
import json, sys
try:
    g, c = (json.load(open(p)) for p in sys.argv[1:3])
except Exception as e:
    print("FAIL\tno result: %s" % e); sys.exit()
tol = float(sys.argv[3])
ga, ca = (100 * r["splits"]["test"]["accuracy_trained"] for r in (g, c))
d = abs(ga - ca)
med = lambda r: sorted(r["epoch_seconds"])[len(r["epoch_seconds"]) // 2] * 1000
print("%s\ttest acc gpu %.2f%% cpu %.2f%% (|diff| %.3f ≤ %g points); %.2f vs %.1f ms/epoch" %
      ("PASS" if d <= tol else "FAIL", ga, ca, d, tol, med(g), med(c)))
EOF
)
  rec "model3 $dt" "${line%%$'\t'*}" "${line#*$'\t'}"
done

fi # quick

# 4. Timings: ours (trainer path), ours (TrainEpoch, synthetic), PyTorch.
log "4/6 timings"
(cd "$root/cuda" && timeout "$(tmo 180)" "$testbin" -test.run XXX_NONE -test.bench BenchmarkEpoch -test.benchtime 20x) >"$logs/bench.log" 2>&1 ||
  log "BenchmarkEpoch failed: $(tail -3 "$logs/bench.log")"
# Where a step's time goes: each launch timed alone (BenchmarkStepLaunches),
# and the epoch without segments.
(cd "$root/cuda" && timeout "$(tmo 90)" "$testbin" -test.run XXX_NONE -test.bench BenchmarkStepLaunches -test.benchtime 200x) >"$logs/profile.log" 2>&1 ||
  log "BenchmarkStepLaunches failed: $(tail -3 "$logs/profile.log")"
(cd "$root/cuda" && timeout "$(tmo 60)" "$testbin" -cuda-no-segments -test.run XXX_NONE -test.bench 'BenchmarkEpoch/float32/batch100/epoch' -test.benchtime 20x) >"$logs/bench-unsegmented.log" 2>&1 ||
  log "BenchmarkEpoch without segments failed: $(tail -3 "$logs/bench-unsegmented.log")"
timings=$out/timings.tsv
printf 'dtype\tbatch\tgtrain train (Step)\tTrainEpoch (synthetic)\tStep (synthetic)\tPyTorch\n' >"$timings"
for dt in float32 float64; do
  for b in 100 500; do
    ours="-" torch="-"
    ep=$(grep -E "BenchmarkEpoch/$dt/batch$b/epoch" "$logs/bench.log" | grep -oE '[0-9.]+ ms/epoch' | cut -d' ' -f1)
    st=$(grep -E "BenchmarkEpoch/$dt/batch$b/step" "$logs/bench.log" | grep -oE '[0-9.]+ ms/epoch' | cut -d' ' -f1)
    if [ "$quick" = 0 ]; then
    timeout "$(tmo 120)" "$bin" --device cuda train --epochs "$tepochs" --batch "$b" --dtype "$dt" --out "$work/t-$dt-$b" --force -q >"$logs/time-$dt-$b.log" 2>&1
    ours=$("$PY" -c 'import json,sys; s=sorted(json.load(open(sys.argv[1]))["epoch_seconds"]); print("%.2f" % (1000*s[len(s)//2]))' "$work/t-$dt-$b/result.json" 2>/dev/null || echo "-")
    torch=$(timeout "$(tmo 120)" "$PY" "$peer" "$data" --device cuda --dtype "$dt" --batch "$b" --epochs "$tepochs" 2>"$logs/torch-$dt-$b.err" | grep -oE 'epoch_seconds: [0-9.]+' | awk '{printf "%.2f", 1000*$2}')
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$dt" "$b" "${ours:--}" "${ep:--}" "${st:--}" "${torch:--}" >>"$timings"
  done
done
target=$(awk -F'\t' '$1=="float32" && $2==100 {print $4}' "$timings")
if [ -n "$target" ] && [ "$target" != "-" ]; then
  ok=$(awk -v t="$target" 'BEGIN{print (t <= 4.0) ? "PASS" : "MISS"}')
  rec "float32 batch 100 ≤ 4 ms/epoch" "$ok" "TrainEpoch $target ms/epoch"
fi

# 5. Stacks: the same sweep trained as stacks on the GPU and on the CPU
# (the CPU's in the background meanwhile), compared run by run; then the
# stacked bench on the GPU.
log "5/6 stacks"
if [ "$quick" = 0 ]; then
  stackgrid=(--grid loss=cross,svm --grid lambda=0,0.1 --grid eta=0.001,0.01 --grid "epochs=$sepochs" --grid dtype=float32,float64)
  timeout "$(tmo 400)" "$cpubin" sweep run --devices cpu --stack 8 --out "$work/stack-cpu" -q --no-html "${stackgrid[@]}" >"$logs/stack-cpu.log" 2>&1 &
  spid=$!
  timeout "$(tmo 300)" "$bin" sweep run --devices cuda --stack 8 --out "$work/stack-gpu" -q --no-html "${stackgrid[@]}" >"$logs/stack-gpu.log" 2>&1 ||
    log "GPU stacked sweep failed: $(tail -1 "$logs/stack-gpu.log")"
  wait "$spid" || log "CPU stacked sweep failed: $(tail -1 "$logs/stack-cpu.log")"
  line=$("$PY" - "$work/stack-gpu" "$work/stack-cpu" <<'EOF'
import glob, json, os, sys
def runs(root):
    out = {}
    for cfgf in glob.glob(os.path.join(root, "*", "config.json")):
        try:
            c = json.load(open(cfgf))
            r = json.load(open(os.path.join(os.path.dirname(cfgf), "result.json")))
        except Exception:
            continue
        out[(c["dtype"], c["loss"], c["lambda"], c["eta"])] = r
    return out
g, c = runs(sys.argv[1]), runs(sys.argv[2])
if len(g) != 16 or len(c) != 16:
    print("FAIL\t%d GPU and %d CPU runs finished, want 16 each" % (len(g), len(c)))
    sys.exit()
tol = {"float64": (0.01, 1e-6), "float32": (0.3, 1e-2)}
worst, bad = {}, []
for key, rc in sorted(c.items()):
    rg = g.get(key)
    if rg is None:
        bad.append("%s: no GPU run" % (key,))
        continue
    if not str(rg.get("device", "")).startswith("cuda"):
        bad.append("%s: the GPU run's device is %s" % (key, rg.get("device")))
    da = abs(100 * (rg["splits"]["test"]["accuracy_trained"] - rc["splits"]["test"]["accuracy_trained"]))
    ct = rc["splits"]["train"]["cost_trained"]
    dc = abs(rg["splits"]["train"]["cost_trained"] - ct) / max(1, abs(ct))
    ta, tc = tol[key[0]]
    wa, wc = worst.get(key[0], (0, 0))
    worst[key[0]] = (max(wa, da), max(wc, dc))
    if not (da <= ta and dc <= tc):
        bad.append("%s: test acc diff %.3f points, train cost rel diff %.2g" % (key, da, dc))
detail = "; ".join("%s: max |test acc diff| %.3f points, max train cost rel diff %.2g" % (dt, a, b) for dt, (a, b) in sorted(worst.items()))
print("%s\t16 runs (2 stacks of 8) vs the CPU's: %s%s" % ("FAIL" if bad else "PASS", detail, ("; " + "; ".join(bad[:3])) if bad else ""))
EOF
)
  rec "stacked sweep vs cpu" "${line%%$'\t'*}" "${line#*$'\t'}"
fi
stackbench=$out/stack-bench.txt
if timeout "$(tmo 300)" "$bin" bench --stack 1,16,64 --device cuda --loss cross --batch 100 --dtype float32,float64 --epochs 2 >"$stackbench" 2>"$logs/stack-bench.log"; then
  rec "bench --stack 1,16,64 (cuda)" PASS "$(awk '$2 == 64 {printf "%s M=64 %s ms/config-epoch; ", $1, $3}' "$stackbench")"
else
  rec "bench --stack 1,16,64 (cuda)" FAIL "$(tail -1 "$logs/stack-bench.log")"
fi

# 6. k-layer nets. NEVER RUN ON A GPU YET: the first run of this section
# is the first time the k-layer programs (ReLU, batch normalization, the
# per-layer products) meet NVRTC, real threads and cuBLAS. Step 1 ran the
# reference backend's and the host kernels' k-layer checks (TestMLP*).
log "6/6 k-layer nets on the GPU (never run on a GPU before)"
for mode in "" -cuda-no-fuse -cuda-no-segments; do
  name="k-layer (3-layer BN) on the GPU${mode:+, $mode}"
  f=$logs/mlp${mode}.log
  if (cd "$root/cuda" && timeout "$(tmo 120)" "$testbin" $mode -test.v -test.count=1 -test.run 'TestGPUMLPMatchesTapeMachine' -test.timeout 110s) >"$f" 2>&1 &&
    grep -q '^--- PASS: TestGPUMLPMatchesTapeMachine' "$f"; then
    rec "$name" PASS "$(grep -c '^    --- PASS' "$f") graphs x dtypes match the TapeMachine"
  else
    rec "$name" FAIL "$(grep -E '^(--- FAIL|--- SKIP|panic)|^    --- FAIL|relative difference' "$f" | head -3 | tr '\n' ' ')"
  fi
done

# Summary.
{
  echo "== gpucheck summary ($(date -u +%FT%TZ), $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1))"
  column -t -s $'\t' "$results" 2>/dev/null || cat "$results"
  echo
  echo "ms/epoch (median; 10000 images of 3072; PyTorch: ref_torch.py --device cuda, same run)"
  column -t -s $'\t' "$timings" 2>/dev/null || cat "$timings"
  echo
  echo "float32 batch 100 TrainEpoch without segments: $(grep -oE '[0-9.]+ ms/epoch' "$logs/bench-unsegmented.log" | head -1)"
  echo "stacked training on the GPU (gtrain bench --stack 1,16,64, ms per configuration-epoch):"
  grep -E '^(float32|float64) ' "$stackbench" 2>/dev/null
  echo "per launch, microseconds (BenchmarkStepLaunches; cross-entropy, no graph, an event after each):"
  grep -E '^BenchmarkStepLaunches' "$logs/profile.log" | sed -E 's/^BenchmarkStepLaunches\/([^ \t]+)[ \t]+[0-9]+[ \t]+[0-9]+ ns\/op/\1/; s/[ \t]+/ /g'
  echo
  echo "logs: $out"
} | tee "$out/summary.txt"
# The tail of every log of a failed check, on stdout.
for f in "$logs"/*.log "$logs"/*.err; do
  [ -s "$f" ] || continue
  if grep -qE '^(--- FAIL|FAIL|panic)|gtrain: |error|Error|Traceback' "$f"; then
    echo "---- $(basename "$f") (last 15 lines)"
    tail -15 "$f" | cut -c1-300
  fi
done
# The summary again, last: the device tool returns the output's tail.
cat "$out/summary.txt"
if [ "$bundle" = 1 ]; then
  tar czf "$out/logs.tgz" -C "$out" logs && rm -rf "$logs"
fi
rm -rf "$work"
! awk -F'\t' '$2 ~ /^FAIL/ {bad = 1} END {exit !bad}' "$results"
