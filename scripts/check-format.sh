#!/usr/bin/env bash
# Fails when a C++ file is not clang-format clean (style in .clang-format). Skipped, with a
# note, where clang-format is not installed (it is a developer tool, not a build dependency).
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  echo "format: skipped (clang-format not installed; apt-get install clang-format)"
  exit 0
fi
files=$(git ls-files '*.cpp' '*.h' 2>/dev/null || find app core models ui tests -name '*.cpp' -o -name '*.h')
bad=$(for f in $files; do
  clang-format --dry-run "$f" 2>&1 | grep -q warning && echo "$f"
done)
if [ -n "$bad" ]; then
  echo "format: these files are not clang-format clean (run clang-format -i on them):"
  echo "$bad"
  exit 1
fi
echo "format: ok"
