#!/usr/bin/env bash
# test.sh - install the dependencies, build x7net with AddressSanitizer +
# UBSan in build-asan/ and run every ctest.  Exits non-zero on any
# failure.  Safe to run again (the build directory is reused).
set -euo pipefail
cd "$(dirname "$0")/.."

ci/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
# Stack traces for UBSan findings; every finding already aborts the test
# (-fno-sanitize-recover=all).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DX7_SANITIZE=ON
cmake --build build-asan -j"$jobs"
(cd build-asan && ctest --output-on-failure -j"$jobs")

# A short libFuzzer run of every target (clang build in build-fuzz/); any
# finding fails CI and is saved under fuzz/corpus/<target>/regress-*.
ci/fuzz.sh 20
