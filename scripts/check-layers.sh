#!/usr/bin/env bash
# Backs up the link-graph firewall with a grep: core/ never includes Qt or Torch, models/ never
# includes Qt/OpenCV/dlib/FFmpeg, ui/ never includes Torch (see docs/architecture.md).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
check() { # folder, pattern, rule
  hits=$(grep -rnE "$2" "$1" --include='*.h' --include='*.hpp' --include='*.cpp' 2>/dev/null)
  if [ -n "$hits" ]; then echo "layer rule broken: $3"; echo "$hits"; status=1; fi
}
check core   '#include *[<"](Q[A-Za-z]*|torch/|ATen/|c10/)' 'core/ must not include Qt or Torch'
check models '#include *[<"](Q[A-Za-z]*|opencv2/|dlib/|libav)' 'models/ must not include Qt, OpenCV, dlib or FFmpeg'
check ui     '#include *[<"](torch/|ATen/|c10/|models/)' 'ui/ must not include Torch or models/'
check core/common '#include *[<"](opencv2/|dlib/|libav|Q[A-Za-z]*|torch/)' 'core/common uses std and nlohmann/json only'
[ $status -eq 0 ] && echo "layers: ok"
exit $status
