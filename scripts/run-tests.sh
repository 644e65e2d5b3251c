#!/usr/bin/env bash
# Sets up (packages + build) and runs the whole test suite through CTest.
#   scripts/run-tests.sh [ctest options...]    e.g. -L unit, -L integration, -R merge
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
scripts/check-layers.sh
scripts/check-format.sh
ctest --test-dir build --output-on-failure "$@"
