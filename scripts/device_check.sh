#!/usr/bin/env bash
# The one script a GPU session runs on the device machine, from the repository root: build the
# CUDA backend, run the whole test suite, run compute-sanitizer on the CUDA tests, run the GPU
# benchmarks against their PyTorch peers (engine steps; the control batch), and print a short
# summary. Every phase may fail without stopping the ones after it; each phase's exit code is
# recorded and summarized.
#
#   scripts/device_check.sh [build] [test] [sanitize] [bench] [control] [all]   (default: all)
#   scripts/device_check.sh learning   the Krotov–Hopfield epoch on CPU and GPU against PyTorch
#                                      (not in `all`: its own call, so at most 8 files come back)
#
# Needs the header-only dependencies bundled in .deps (made on a machine with the Debian packages
# by `../shared/tools/bundle-deps.sh .deps`, then carried along), nvcc, cmake, ninja, and a
# python3 with torch for the peer. Environment:
#   OUT        folder for the logs and results (default out/device-check); on the device machine
#              the tool sets it, and what is written there comes back (8 files at most: this
#              script writes build.log ctest.log memcheck.log racecheck.log bench.json
#              control.json bench.log summary.txt; the JUnit report stays in the build folder)
#   BUDGET_S   seconds for this call, all phases together (default 540: a 600 s call with margin);
#              a phase that would start with less than 30 s left is skipped, a running one is
#              stopped at the budget
#   BUILD_DIR  build folder (default build-gpu; kept between calls while the machine stays warm,
#              rebuilt by any phase that finds it missing)
#   COMMIT     recorded in bench.json (default: git rev-parse, else "unknown")
#   BENCH_ARGS extra arguments for bench/run_gpu_bench.py (e.g. "--quick", "--case sparse_1m")
#   CONTROL_ARGS extra arguments for bench/run_control_bench.py (e.g. "--quick")
#   FASHION_MNIST the folder of Fashion-MNIST's IDX files for the learning phase (default
#              .data/fashion-mnist: copy /usr/share/datasets/fashion-mnist there, 30 MB, and carry
#              it; the device machine has no Debian packages)
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
readonly start_s=$SECONDS
readonly budget_s=${BUDGET_S:-540}
readonly build_dir=${BUILD_DIR:-build-gpu}
readonly deps_dir=$PWD/.deps
OUT=${OUT:-out/device-check}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
readonly OUT
jobs=$(nproc)
readonly jobs
export PYTHONUNBUFFERED=1

phases=("$@")
((${#phases[@]})) || phases=(all)
for p in "${phases[@]}"; do
  case $p in
    build | test | sanitize | bench | control | all) ;;
    *) echo "usage: $0 [build] [test] [sanitize] [bench] [control] [all]   (unknown phase '$p')" >&2; exit 2 ;;
  esac
done
wants() {
  [[ " ${phases[*]} " == *" $1 "* || ($1 != learning && " ${phases[*]} " == *" all "*) ]]
}

declare -A status=()  # step -> exit code, or "skipped (...)"
order=()              # steps in the order they ran
set_status() {
  [[ -n ${status[$1]+x} ]] || order+=("$1")
  status[$1]=$2
}
remaining() { echo $((budget_s - (SECONDS - start_s))); }

# Runs "$@" with what is left of the budget (minus `reserve` seconds kept for later phases), or
# returns 124 at once when less than 30 s would be left for it.
run_budgeted() {
  local reserve=$1
  shift
  local limit=$(($(remaining) - reserve))
  if ((limit < 30)); then
    echo "not started: ${limit}s of the budget left" >&2
    return 124
  fi
  timeout --signal=TERM --kill-after=15 "$limit" "$@"
}

# Keeps a log under the 16 MiB a returned file may have: its first and last 4 MiB.
cap_log() {
  local f=$1 limit=$((15 * 1024 * 1024))
  [[ -f $f ]] && (($(stat -c %s "$f") > limit)) || return 0
  { head -c 4M "$f"; printf '\n\n[... %s cut to its first and last 4 MiB ...]\n\n' "$f"; tail -c 4M "$f"; } \
    >"$f.cut" && mv "$f.cut" "$f"
}

# Configures (when asked, or when the folder has no build.ninja) and builds "$@" (every target
# when none are named).
build_targets() {
  local configure=$1 log=$OUT/build.log
  shift
  {
    echo "# $(date -u +%FT%TZ)"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
    command -v nvcc >/dev/null && nvcc --version | tail -1
    cmake --version | head -1
  } >>"$log" 2>&1
  if [[ ! -d $deps_dir/include ]]; then
    echo "no $deps_dir/include: carry .deps (made by ../shared/tools/bundle-deps.sh .deps)" | tee -a "$log"
    return 1
  fi
  if [[ $configure == yes || ! -f $build_dir/build.ninja ]]; then
    local nvcc_path=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
    run_budgeted 0 cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DATTRACTOR_CUDA=ON -DATTRACTOR_DEPS_DIR="$deps_dir" -DCMAKE_CUDA_ARCHITECTURES=90 \
      -DCMAKE_CUDA_COMPILER="$nvcc_path" >>"$log" 2>&1 || return $?
  fi
  local targets=()
  (($#)) && targets=(--target "$@")
  echo "# cmake --build $build_dir ${targets[*]}" >>"$log"
  run_budgeted 0 cmake --build "$build_dir" -j "$jobs" "${targets[@]}" >>"$log" 2>&1
}

do_build() { build_targets yes; }

# Later phases bring what they run up to date first (a no-op after the build phase on a warm
# machine; on a fresh one, where the build folder is gone, the bench builds only its program).
ensure_build() {
  echo "== bringing ${*:-every target} up to date"
  build_targets no "$@"
  set_status "build ${*:-all} (for $current_phase)" $?
}

do_test() {
  ensure_build
  # One GPU shared by parallel test processes: fine for the suite's sizes (each context ~0.5 GB);
  # two OpenMP threads per test keep the parallel CPU tests from oversubscribing the cores.
  OMP_NUM_THREADS=2 run_budgeted 0 ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 300 \
    --output-junit "$PWD/$build_dir/ctest-junit.xml" >"$OUT/ctest.log" 2>&1
}

sanitizer_bin() {
  command -v compute-sanitizer 2>/dev/null && return 0
  local c
  for c in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
    [[ -x $c ]] && echo "$c" && return 0
  done
  return 1
}

# memcheck (out-of-bounds and misaligned accesses, API errors), then racecheck (shared-memory
# hazards) on the CUDA tests: the parity suite and the ensemble suite among them. memcheck gets
# half the time left, racecheck the rest.
do_sanitize() {
  ensure_build attractor_tests
  local sanitizer rc=0 tool half
  sanitizer=$(sanitizer_bin) || {
    echo "compute-sanitizer not found" | tee "$OUT/memcheck.log"
    return 127
  }
  for tool in memcheck racecheck; do
    half=$(($(remaining) / 2))
    [[ $tool == racecheck ]] && half=0
    # --error-exitcode: 99 says the tool found errors, any other non-zero code the tests failed.
    run_budgeted "$half" "$sanitizer" --tool "$tool" --print-limit 50 --error-exitcode 99 \
      "$build_dir/tests/attractor_tests" --gtest_filter='*cuda*:*Cuda*' >"$OUT/$tool.log" 2>&1
    local tool_rc=$?
    set_status "$tool" "$tool_rc"
    cap_log "$OUT/$tool.log"
    ((tool_rc == 0)) || rc=1
  done
  return $rc
}

do_bench() {
  ensure_build attractor_bench_gpu
  local commit=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
  # The runner stops its own subprocesses at --budget; the outer limit is a backstop.
  # shellcheck disable=SC2086  # BENCH_ARGS is a list of words
  run_budgeted 0 python3 bench/run_gpu_bench.py --build "$build_dir" --out "$OUT/bench.json" \
    --commit "$commit" --budget $(($(remaining) - 20)) ${BENCH_ARGS:-} 2>&1 | tee "$OUT/bench.log"
}

do_control() {
  ensure_build attractor_bench_control
  # shellcheck disable=SC2086  # CONTROL_ARGS is a list of words
  run_budgeted 0 python3 bench/run_control_bench.py --build "$build_dir" --out "$OUT/control.json" \
    ${CONTROL_ARGS:-} 2>&1 | tee -a "$OUT/bench.log"
}

do_learning() {
  ensure_build attractor_bench_learning
  local data=${FASHION_MNIST:-.data/fashion-mnist}
  run_budgeted 0 python3 bench/run_learning_bench.py --build "$build_dir" --out "$OUT/learning.json" \
    --data "$data" 2>&1 | tee -a "$OUT/bench.log"
}

current_phase=
for current_phase in build test sanitize bench control learning; do
  wants "$current_phase" || continue
  echo "== $current_phase ($(remaining)s of the budget left)"
  if (($(remaining) < 30)); then
    set_status "$current_phase" "skipped (budget)"
    continue
  fi
  "do_$current_phase"
  set_status "$current_phase" $?
done
cap_log "$OUT/build.log"
cap_log "$OUT/ctest.log"

# ---- summary -------------------------------------------------------------------------------------
{
  echo
  echo "== device_check: phases ${phases[*]}, $((SECONDS - start_s))s of ${budget_s}s, results in $OUT"
  build_failed=no
  for k in "${order[@]}"; do
    echo "   $k: exit ${status[$k]}"
    [[ $k == build* && ${status[$k]} != 0 ]] && build_failed=yes
  done
  if [[ $build_failed == yes ]]; then
    echo "-- build.log (last 30 lines):"
    tail -n 30 "$OUT/build.log"
  fi
  if [[ -f $OUT/ctest.log ]]; then
    echo "-- tests: $(grep -E 'tests passed|tests failed' "$OUT/ctest.log" | tail -1)"
    grep -E '^\s+[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Not Run|Exception)' \
      "$OUT/ctest.log" | head -n 30
  fi
  for tool in memcheck racecheck; do
    [[ -f $OUT/$tool.log ]] || continue
    found=$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/$tool.log" | tail -n 2 | tr '\n' ' ')
    tests=$(grep -E '^\[  (PASSED|FAILED)  \]' "$OUT/$tool.log" | head -n 2 | tr '\n' ' ')
    echo "-- $tool: ${found:-no summary line; last: $(tail -n 1 "$OUT/$tool.log")} | gtest: ${tests:-none}"
  done
  if [[ -f $OUT/bench.log ]]; then
    echo "-- bench (bench.json):"
    sed -n '/^## GPU benchmark/,$p' "$OUT/bench.log"
  fi
} | tee "$OUT/summary.txt"
