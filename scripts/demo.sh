#!/usr/bin/env bash
# The main job: set up this machine, build, and run the whole pipeline on the bundled GRID pair
# (source: speaker s2; destination: speaker sbia1a, with audio): new -> extract -> align -> pack ->
# train (a small model, a few minutes on the CPU) -> merge -> export. Prints where the result is.
# With a display, it then opens the studio on the same workspace.
#   scripts/demo.sh [WORKSPACE]          (default: demo-workspace)
#   DOPPEL_DEMO_MINUTES=20 scripts/demo.sh   (training time; default 10)
# Re-running continues: every stage resumes from what is already on disk.
set -euo pipefail
cd "$(dirname "$0")/.."
WS=${1:-demo-workspace}
MINUTES=${DOPPEL_DEMO_MINUTES:-10}

scripts/setup.sh build
DOPPEL=build/app/doppel

if [ ! -f "$WS/project.json" ]; then
  $DOPPEL new --workspace "$WS" --src tests/data/video/grid_s2_150f.mp4 --dst tests/data/video/grid_sbia1a_75f_audio.mp4
fi
for side in src dst; do
  $DOPPEL extract --workspace "$WS" --side "$side"
  $DOPPEL align --workspace "$WS" --side "$side"
  $DOPPEL pack --workspace "$WS" --side "$side" --set resolution=64
done
# A small DF-UD model at 64 px: big enough to show the swap, small enough for a CPU in minutes
# (~0.55 s/iteration on 2 cores: 10 minutes is ~1100 iterations, where the swap starts to show;
# docs/training.md has the grids at 250, 1250 and 2150 iterations). lr 2e-4: this small model
# learns about twice as fast with it as with the 5e-5 default.
$DOPPEL train --workspace "$WS" --model demo --minutes "$MINUTES" \
  --set archi=df-ud --set resolution=64 --set ae_dims=128 --set e_dims=32 --set d_dims=32 --set d_mask_dims=16 \
  --set batch=8 --set lr=2e-4 --set preview_every=250
$DOPPEL merge --workspace "$WS" --model demo
$DOPPEL export --workspace "$WS"
echo
echo "demo: result in $(ls -1 "$WS"/result/*.mp4 | head -1)"
echo "demo: previews in $WS/model/demo/previews/, merged frames in $WS/merged/"
echo "demo: the result is labelled as synthetic media; check it with: $DOPPEL verify $(ls -1 "$WS"/result/*.mp4 | head -1)"
if [ -n "${DISPLAY:-}" ] && [ -x build/app/doppel-studio ] && [ -z "${CI:-}" ]; then
  echo "demo: opening the studio on $WS"
  build/app/doppel-studio --workspace "$WS"
fi
