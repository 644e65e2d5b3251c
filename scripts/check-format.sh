#!/usr/bin/env bash
# Fails when a C++ file is not clang-format clean (style in .clang-format). Skipped, with a
# note, where clang-format is not installed (it is a developer tool, not a build dependency).
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  echo "format: skipped (clang-format not installed; apt-get install clang-format)"
  exit 0
fi
# Another clang-format major version may lay out the same style differently: the files were
# formatted with Debian 12's clang-format 14, so only that version is a verdict.
version=$(clang-format --version | grep -oE 'version [0-9]+' | grep -oE '[0-9]+' | head -1)
if [ "${version:-0}" != 14 ]; then
  echo "format: skipped (clang-format ${version:-?} here; the files follow clang-format 14)"
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
