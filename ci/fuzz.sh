#!/usr/bin/env bash
# fuzz.sh [SECONDS] - build the libFuzzer targets with clang
# (-fsanitize=fuzzer,address,undefined) in build-fuzz/ and fuzz every
# target for SECONDS (default 20) over a copy of its corpus, with its
# dictionary and max_len.  Exits 1 if any target finds anything: each
# finding is minimised, saved as fuzz/corpus/<target>/regress-<sha256
# prefix> (so every later build replays it), and printed with its stack.
#
# Environment:
#   X7_FUZZ_BUILD_DIR  build directory (default build-fuzz)
#   X7_FUZZ_JOBS       parallel compile jobs (default: all cores)
#   X7_FUZZ_RUNS       also stop each target after this many executions
#   X7_FUZZ_TARGETS    space-separated subset of targets (default: all)
#   X7_FUZZ_KEEP       directory to keep each target's grown corpus and
#                      log in (default: a temporary directory, removed)
#
# Needs clang and libclang-rt-14-dev (ci/deps.sh installs both).  The
# repository's corpora are never written to, except for new regress-*
# files after a finding.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-20}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -eq 0 ]; then
  echo "usage: ci/fuzz.sh [SECONDS]   (SECONDS: a positive integer)" >&2
  exit 2
fi
build=${X7_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${X7_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
runs=${X7_FUZZ_RUNS:-}

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz: clang not found; run ci/deps.sh (clang, libclang-rt-14-dev)" >&2
  exit 2
fi

cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DX7_BUILD_FUZZ=ON -DX7_SANITIZE=ON \
  -DX7_BUILD_BENCH=OFF -DX7_BUILD_DEMO=OFF
cmake --build "$build" --target fuzz_targets -j"$jobs"

if [ -n "${X7_FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$X7_FUZZ_TARGETS"
else
  targets=()
  for src in fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    targets+=("${t#fuzz_}")
  done
fi

if [ -n "${X7_FUZZ_KEEP:-}" ]; then
  work=$X7_FUZZ_KEEP
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

# Every finding aborts with a stack; leaks are findings too.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
printf '%-14s %12s %8s %8s %8s\n' target execs cov ft seconds
for t in "${targets[@]}"; do
  bin=$build/fuzz/fuzz_$t
  opts=fuzz/fuzz_$t.options
  dir=$work/$t
  if [ ! -x "$bin" ] || [ ! -f "$opts" ]; then
    echo "fuzz: $t: missing $bin or $opts" >&2
    failed+=("$t")
    continue
  fi
  max_len=$(sed -n 's/^max_len *= *\([0-9]*\).*/\1/p' "$opts")
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -R "fuzz/corpus/$t/." "$dir/corpus/"
  args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048
        -dict="fuzz/dict/fuzz_$t.dict" -artifact_prefix="$dir/artifacts/"
        -print_final_stats=1)
  [ -n "$max_len" ] && args+=(-max_len="$max_len")
  [ -n "$runs" ] && args+=(-runs="$runs")
  start=$(date +%s)
  status=0
  "$bin" "${args[@]}" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-14s %12s %8s %8s %8s\n' "$t" "${execs:-?}" "${cov:-?}" \
    "${ft:-?}" "$took"

  crash=$(find "$dir/artifacts" -type f | sort | head -1)
  if [ "$status" -eq 0 ] && [ -z "$crash" ]; then
    continue
  fi
  failed+=("$t")
  echo "==== fuzz_$t: finding (exit $status) ====" >&2
  grep -v -E '^#[0-9]+|^INFO:|^stat::' "$dir/log" | tail -60 >&2 || true
  if [ -z "$crash" ]; then
    echo "fuzz: $t: libFuzzer failed without an artifact (log: above)" >&2
    continue
  fi
  # Minimise when libFuzzer can; otherwise keep the input as found.
  min=$dir/minimized
  "$bin" -minimize_crash=1 -runs=10000 -timeout=10 \
    -exact_artifact_path="$min" "$crash" >"$dir/minimize.log" 2>&1 || true
  keep=$crash
  [ -s "$min" ] && keep=$min
  hash=$(sha256sum "$keep" | cut -c1-16)
  dest=fuzz/corpus/$t/regress-$hash
  cp "$keep" "$dest"
  echo "fuzz: $t: saved $(wc -c <"$dest") byte input as $dest:" >&2
  od -A x -t x1z -v "$dest" | head -40 >&2
done

if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${secs}s each, no findings"
