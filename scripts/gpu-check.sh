#!/usr/bin/env bash
# GPU check for a machine with an NVIDIA GPU and a pip PyTorch (LibTorch + CUDA inside) but no
# Qt, OpenCV, dlib or FFmpeg: builds the engine-only configuration, runs the training benchmark
# side by side with the PyTorch peer, then the engine and GPU tests.
#   scripts/gpu-check.sh CARRY_DIR [OUT_DIR]
# CARRY_DIR holds what that machine lacks: json/nlohmann/json.hpp (nlohmann-json3-dev),
# googletest/ (a googletest source tree, e.g. Debian's /usr/src/googletest) and saehd_ref.py
# (../shared/bench). Results: OUT_DIR/gpu.log (everything) and OUT_DIR/bench.jsonl (one JSON
# line per benchmark run, tagged with "impl").
set -u
CARRY=$(realpath "${1:?usage: gpu-check.sh CARRY_DIR [OUT_DIR]}")
OUT_DIR=${2:-${OUT:-/tmp/doppel-gpu}}
mkdir -p "$OUT_DIR"
exec > >(tee -a "$OUT_DIR/gpu.log") 2>&1
BUILD=${BUILD:-/tmp/doppel-engine}
START=$(date +%s)
BUDGET=${BUDGET_S:-520}  # stop starting new work after this many seconds
left() { echo $((BUDGET - ($(date +%s) - START))); }
step() { echo; echo "=== [$(($(date +%s) - START)) s] $*"; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
nproc
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())'
g++ --version | head -1
cmake --version | head -1

step "configure (engine only, CUDA LibTorch from pip torch)"
TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOPPEL_ENGINE_ONLY=ON \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" -DDOPPEL_JSON_INCLUDE_DIR="$CARRY/json" \
  -DDOPPEL_GTEST_SOURCE_DIR="$CARRY/googletest" -DTORCH_CUDA_ARCH_LIST=9.0 \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DDOPPEL_WINOGRAD=OFF >"$OUT_DIR/configure.log" 2>&1
rc=$?
grep -E "Torch|CUDA|Error|error" "$OUT_DIR/configure.log" | head -40
[ $rc -eq 0 ] || { echo "configure failed ($rc)"; tail -60 "$OUT_DIR/configure.log"; exit 1; }

step "build"
cmake --build "$BUILD" -j "$(nproc)" -- -k 0 >"$OUT_DIR/build.log" 2>&1
rc=$?
grep -E "error|Error" "$OUT_DIR/build.log" | head -60
echo "build exit $rc"
[ -x "$BUILD/models/doppel-bench-train" ] || exit 1

BENCH="$BUILD/models/doppel-bench-train"
PEER="$CARRY/saehd_ref.py"
# bench IMPL ARGS...: one run, its JSON line tagged and appended to bench.jsonl.
bench() {
    local impl=$1
    shift
    [ "$(left)" -gt 40 ] || { echo "skipped (time): $impl $*"; return; }
    local line
    if [ "$impl" = cpp ]; then
        line=$(timeout 150 "$BENCH" "$@" 2>>"$OUT_DIR/bench-stderr.log" | tail -1)
    else
        line=$(timeout 150 python3 "$PEER" "$@" 2>>"$OUT_DIR/bench-stderr.log" | tail -1)
    fi
    echo "$impl $*: $line" | cut -c1-400
    [ -n "$line" ] && echo "{\"impl\":\"$impl\",\"result\":$line}" >>"$OUT_DIR/bench.jsonl"
}

step "benchmark: DF res 256 batch 32 (the issue's GPU target)"
common="--arch df --res 256 --batch 32 --iters 15 --warmup 5 --device cuda"
bench py $common
bench cpp $common --dtype fp32
bench cpp $common --dtype bf16 --channels-last
bench py $common --amp bf16 --channels-last

step "GPU test"
timeout 240 "$BUILD/tests/engine_test_gpu_trainer" 2>&1 | tail -15

step "benchmark: LIAE-UD res 256 batch 32, DF res 64 batch 8"
common="--arch liae-ud --res 256 --batch 32 --iters 15 --warmup 5 --device cuda"
bench cpp $common --dtype bf16 --channels-last
bench py $common
common="--arch df --res 64 --batch 8 --iters 30 --warmup 5 --device cuda"
bench cpp $common --dtype fp32
bench py $common
bench cpp --arch df --res 256 --batch 64 --iters 10 --warmup 4 --device cuda --dtype bf16 --channels-last

step "engine tests on the GPU machine"
if [ "$(left)" -gt 60 ]; then
    (cd "$BUILD" && timeout $(($(left) - 15)) ctest -L "engine|gpu" -j 4 --output-on-failure \
        --timeout 200 2>&1 | tail -40)
fi
step "done"
