#!/usr/bin/env bash
# Saves one screenshot per studio page into docs/images/ (for docs/user-guide.md).
#   scripts/screenshots.sh [BUILD_DIR] [OUT_DIR] [WORKSPACE]
# With WORKSPACE (e.g. the demo's, after scripts/demo.sh) it photographs that one as it is.
# Otherwise it prepares a small workspace from the committed test clips with the real CLI (new, extract,
# align, pack, and a short training run when `doppel train` exists), then starts doppel-studio
# on it with --screenshot-dir, which visits every page and grabs the window. Runs under
# xvfb-run when it is installed, else on Qt's offscreen platform.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=${2:-docs/images}
CLI="$BUILD/app/doppel"
STUDIO="$BUILD/app/doppel-studio"
[ -x "$CLI" ] || { echo "missing $CLI: build the 'doppel' target first" >&2; exit 1; }
[ -x "$STUDIO" ] || { echo "missing $STUDIO: build the 'doppel-studio' target first" >&2; exit 1; }

if [ -n "${3:-}" ]; then
  WS=$3
else
WS=$(mktemp -d /tmp/doppel-shots.XXXXXX)/ws
trap 'rm -rf "$(dirname "$WS")"' EXIT
"$CLI" new --workspace "$WS" --src tests/data/video/grid_s2_150f.mp4 --dst tests/data/video/grid_sbia1a_75f_audio.mp4
for side in src dst; do
  "$CLI" extract --workspace "$WS" --side "$side" --set fps=5
  "$CLI" align --workspace "$WS" --side "$side"
  "$CLI" pack --workspace "$WS" --side "$side" || true
done
# A few iterations give the Train and Merge pages something to show (skipped if not built yet).
if "$CLI" help 2>&1 | grep -q '^ *train'; then
  "$CLI" train --workspace "$WS" --iters 60 --set archi=df-ud --set resolution=64 \
    --set ae_dims=64 --set e_dims=16 --set d_dims=16 --set d_mask_dims=8 --set preview_every=20 || true
  "$CLI" merge --workspace "$WS" || true
fi
fi

mkdir -p "$OUT"
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
# SCREENSHOT_TRAINING_MS=20000 also trains that long from the Train page and grabs it mid-run.
run=("$STUDIO" --workspace "$WS" --screenshot-dir "$OUT" --screenshot-wait-ms 2500
     --screenshot-training-ms "${SCREENSHOT_TRAINING_MS:-0}")
if command -v xvfb-run >/dev/null && [ "$QT_QPA_PLATFORM" = xcb ]; then
  xvfb-run -a -s "-screen 0 1400x900x24" "${run[@]}"
else
  "${run[@]}"
fi
ls -l "$OUT"/studio-*.png
