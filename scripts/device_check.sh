#!/usr/bin/env bash
# What a GPU session runs on the device machine, from the repository root. A lent GPU comes for
# 15 minutes in all (the machine's start included), at most 10 per command, so the work is split
# into calls of at most 8 minutes each, the build included:
#
#   scripts/device_check.sh parity-bench   call 1: configure and build the tests and the GPU bench
#                                          programs, run the tests labelled gpu (ctest -L gpu:
#                                          the CUDA and parity tests, never the CPU-only suite),
#                                          then the GPU benchmarks against PyTorch
#                                          (bench/run_gpu_bench.py, bench/run_control_bench.py)
#   scripts/device_check.sh sanitize       call 2: build the tests (a no-op while the machine is
#                                          still warm), compute-sanitizer memcheck and racecheck on
#                                          the short list of gtest filters `sanitize_filters` below
#   scripts/device_check.sh learning       its own call, in another window: the Krotov–Hopfield
#                                          epoch on CPU and GPU against PyTorch
#   scripts/device_check.sh --dry-run [PHASE]   prints each step of a call (both calls when no phase
#                                          is given), its command and its time estimate; needs no
#                                          GPU, no nvcc, builds and writes nothing
#
# From the session (the tool `run`), with the header-only dependencies carried in .deps (made on a
# machine with the Debian packages by `../shared/tools/bundle-deps.sh .deps`), and COMMIT written
# out here (`git rev-parse --short HEAD`; the copy of the tree there may have no .git):
#   run(command="COMMIT=1a2b3c4 scripts/device_check.sh parity-bench", carry=[".deps"],
#       timeout_s=540)
#   run(command="COMMIT=1a2b3c4 BUDGET_S=<device time left − 60> scripts/device_check.sh sanitize",
#       carry=[".deps"], timeout_s=540)                  # at once, on the same warm machine
# Start (~1–2 min) + call 1 (≤ 470 s) + call 2 must fit the 900 s: give call 2 a BUDGET_S of what
# `status` says is left, less a minute. A failed configure ends the call; any other step may fail
# without stopping the ones after it (a failed build still runs what was built). Each step's exit
# code goes to summary.txt; the script exits 1 when any step failed or was skipped.
#
# Files in $OUT (at most 8 come back from a call; logs are capped at 15 MiB):
#   parity-bench  build.log ctest.log bench.log <date>-<device>.json <date>-control-<device>.json
#                 summary.txt                                  (the JUnit report stays in the build)
#   sanitize      build.log memcheck.log racecheck.log summary.txt
#   learning      build.log bench.log <date>-learning-<device>.json summary.txt
# <device> is nvidia-smi's GPU name in lower case with dashes (nvidia-h100-80gb-hbm3), the file
# name bench/run_gpu_bench.py would choose itself, so the results are committed as they come back:
#   cp <files_at>/20*.json bench/results/      # bench/results/<date>-<device>.json and the others
#
# Environment:
#   OUT           folder for logs and results (default out/device-check/<phase>); the tool sets it
#   BUDGET_S      seconds for the call, all steps together (default 470: 8 minutes less 10 s)
#   BUILD_DIR     build folder (default build-gpu; survives between calls while the machine is warm)
#   JOBS          build and ctest parallelism (default nproc; the plan assumes the device's 16)
#   COMMIT        recorded in the bench JSON (default git rev-parse --short HEAD, else "unknown")
#   TEST_S        the most the CUDA tests may take (default 60), so they never starve the benchmarks
#   CONTROL_S     time kept for the control bench, which cannot stop itself (default 90)
#   BENCH_ARGS    extra arguments for bench/run_gpu_bench.py (e.g. "--case sparse_1m")
#   CONTROL_ARGS  extra arguments for bench/run_control_bench.py (e.g. "--quick")
#   FASHION_MNIST the Fashion-MNIST IDX folder for `learning` (default .data/fashion-mnist: copy
#                 /usr/share/datasets/fashion-mnist there, 30 MB, and carry it too)
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

usage() {
  echo "usage: $0 [--dry-run] parity-bench|sanitize|learning   (--dry-run alone: both calls)" >&2
  exit 2
}
dry_run=0
phase=
for arg in "$@"; do
  case $arg in
    --dry-run | -n) dry_run=1 ;;
    parity-bench | sanitize | learning) [[ -z $phase ]] || usage; phase=$arg ;;
    *) usage ;;
  esac
done
[[ -n $phase || $dry_run == 1 ]] || usage

readonly limit_s=480 budget_s=${BUDGET_S:-470} build_dir=${BUILD_DIR:-build-gpu}
readonly deps_dir=$PWD/.deps
readonly test_s=${TEST_S:-60} control_s=${CONTROL_S:-90}
if ((dry_run)); then jobs=${JOBS:-16}; else jobs=${JOBS:-$(nproc)}; fi
readonly jobs
commit=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
readonly commit
day=$(date +%F)
readonly day
export PYTHONUNBUFFERED=1

# Estimates (seconds) on the device machine (16 cores, H100), for the plan and for the reserves:
# - configure 20: 4 s on the 2-core development VM with nvcc 13.0 (CUDA compiler detection is
#   most of it), ×5.
# - build 180 for attractor_tests, attractor_bench_gpu and attractor_bench_control (70 compile
#   units of the 84; the CLI is not needed: no GPU bench script calls it): the development VM's
#   .ninja_log (Release, CUDA off) holds 451 s of compiling for the library, 562 s for the tests
#   and 34 s for control_batch.cpp (gpu_step.cpp, CUDA only, taken as the same); the 7 .cu files
#   (2 500 lines) are unmeasured, taken as 60 s each: ≈ 1 500 CPU-seconds over 16 jobs ≈ 95 s, no
#   less than the longest unit (85 s, test_physical.cpp), plus the links: ≈ 110 s; 180 s leaves
#   room for slower cores and nvcc.
# - build 150 for attractor_bench_learning: the library and one program (44 units, ≈ 900 CPU-s).
# - build 10 when the build folder is up to date (a warm machine after call 1): ninja's check.
readonly est_configure_s=20 est_build_s=180 est_build_learning_s=150 est_build_warm_s=10
# What the GPU benchmark needs at least after the build (six case groups, each its program and its
# PyTorch peer: ~10 s of process and CUDA start, data generation and six runs per side); past this
# the build is stopped, since nothing after it could run usefully (ninja keeps what it compiled).
readonly gpu_bench_min_s=60

# The sanitizers' short list: every .cu file of kernels/ runs under it (device.cu and the Philox
# kernel through CudaDevice, the engine's kernels through CudaParity — the dense, integer, CSR,
# SELL and factored products, the transposes, the synchronous chunks, asynchronous sweeps,
# Glauber draws and the integrator kernels — the control batch, the ensemble, competing units).
# Small problems only: memcheck runs them tens of times slower. Two cases ask for more than the
# device holds on purpose, hence --report-api-errors no.
sanitize_filters=(
  'CudaDevice.*'
  'CudaParity.DiscreteDynamicsAgreeStateForStateOnDenseAndCsrWeights'
  'CudaParity.SyncLimitCyclesHaveTheSamePeriods'
  'CudaParity.FactoredHebbianRecallAgreesStateForStateAndMatchesPatterns'
  'CudaParity.ContinuousFixedPointsAgreeWithinFloat32Rounding'
  'CudaParity.ProblemsLargerThanTheDeviceFailWithTheBytesNeeded'
  'CudaParity.GlauberDynamicsDrawTheSameUpdates'
  'CudaParity.DenseHebbianWeightsUseExactIntegerProducts'
  'CudaParity.SparseLayoutsAndStateTilesAgreeStateForState'
  'ControlParity.EvaluationAgreesWithTheReferenceToRounding'
  'ControlParity.ABatchSplitOverLaunchesGivesIdenticalResults'
  'ControlParity.ABatchBeyondTheDeviceFailsWithTheBytesNeeded'
  'Backends/EnsembleEngines.*/cuda'
  'CompetingUnitsParity.CpuAndCudaAgreeAfterAnEpoch'
)

# ---- bookkeeping ---------------------------------------------------------------------------------
readonly start_s=$SECONDS
planned_s=0           # --dry-run: the sum of the estimates so far, the plan's clock
declare -A status=()  # step -> exit code, or "skipped (...)"
order=()              # steps in the order they ran
unmatched=()          # sanitize filters that match no test
failed=0
set_status() {
  [[ -n ${status[$1]+x} ]] || order+=("$1")
  status[$1]=$2
  [[ $2 == 0 || $2 == planned ]] || failed=1
}
remaining() {
  if ((dry_run)); then
    echo $((budget_s - planned_s))
  else
    echo $((budget_s - (SECONDS - start_s)))
  fi
}
at_most() { echo $(($1 < $2 ? $1 : $2)); }

# A command as it would be typed: words with shell characters in single quotes.
shown() {
  local words=() w plain='^[][A-Za-z0-9_./=:,+@%<>-]+$'
  for w in "$@"; do
    if [[ $w =~ $plain ]]; then words+=("$w"); else words+=("'${w//\'/\'\\\'\'}'"); fi
  done
  echo "${words[*]}"
}

# step NAME ESTIMATE_S LIMIT_S LOG COMMAND...: runs COMMAND, its output appended to LOG, stopped
# after LIMIT_S seconds (exit 124); not started when the limit is under 20 s. With --dry-run it
# prints the step instead and advances the plan's clock by ESTIMATE_S (at most LIMIT_S).
step() {
  local name=$1 estimate_s=$2 step_limit_s=$3 log=$4
  shift 4
  if ((dry_run)); then
    estimate_s=$(at_most "$estimate_s" "$step_limit_s")
    printf '  %-15s %4d s  (limit %4d s)  %s  >>%s\n' "$name" "$estimate_s" "$step_limit_s" \
      "$(shown "$@")" "${log#"$OUT"/}"
    planned_s=$((planned_s + estimate_s))
    set_status "$name" planned
    return 0
  fi
  if ((step_limit_s < 20)); then
    echo "== $name: not started, ${step_limit_s}s left for it"
    set_status "$name" "skipped (${step_limit_s}s left)"
    return 124
  fi
  echo "== $name: up to ${step_limit_s}s ($(remaining)s of the call's ${budget_s}s left)"
  echo "# $(date -u +%FT%TZ) $name: $(shown "$@")" >>"$log"
  timeout --signal=TERM --kill-after=15 "$step_limit_s" "$@" >>"$log" 2>&1
  local rc=$?
  if ((rc == 124 || rc == 137)); then
    set_status "$name" "$rc (stopped at its ${step_limit_s}s limit)"
  else
    set_status "$name" "$rc"
  fi
  return "$rc"
}

# Keeps a log under the 16 MiB a returned file may have: its first and last 4 MiB.
cap_log() {
  local f=$1 cap=$((15 * 1024 * 1024))
  [[ -f $f ]] && (($(stat -c %s "$f") > cap)) || return 0
  {
    head -c 4M "$f"
    printf '\n\n[... %s cut to its first and last 4 MiB ...]\n\n' "$f"
    tail -c 4M "$f"
  } >"$f.cut" && mv "$f.cut" "$f"
}

# The GPU's name as a file-name part, as bench/run_gpu_bench.py makes it ("<device>" in a plan).
device_slug() {
  local name
  name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
  if [[ -n $name ]]; then
    echo "$name" | tr -cs 'A-Za-z0-9' '-' | sed 's/^-*//; s/-*$//' | tr '[:upper:]' '[:lower:]'
  elif ((dry_run)); then
    echo '<device>'
  else
    echo unknown-gpu
  fi
}

# A bench JSON always exists after its step, and names the commit: a runner stopped at its limit
# leaves none, so a stub with the error is written; a checkout without .git reports "unknown".
finish_json() {
  local file=$1 rc=$2 benchmark=$3
  ((dry_run)) && return 0
  python3 - "$file" "$rc" "$benchmark" "$commit" "$day" <<'EOF'
import json, os, sys
path, rc, benchmark, commit, day = sys.argv[1:]
try:
    with open(path) as f:
        doc = json.load(f)
except (OSError, ValueError):
    why = "was stopped at its time limit" if rc in ("124", "137") else f"exited {rc}"
    doc = {"benchmark": benchmark, "date": day,
           "error": f"the runner {why} before writing its JSON; see bench.log"}
if doc.get("commit") in (None, "", "unknown"):
    doc["commit"] = commit
with open(path + ".tmp", "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
EOF
}

sanitizer_bin() {
  command -v compute-sanitizer 2>/dev/null && return 0
  local c
  for c in /usr/local/cuda/{bin,compute-sanitizer}/compute-sanitizer; do
    [[ -x $c ]] && echo "$c" && return 0
  done
  ((dry_run)) && echo compute-sanitizer && return 0
  return 1
}

# ---- steps ---------------------------------------------------------------------------------------
# Configures build_dir when it has no build.ninja (CUDA on, MPI and Python off, tests and benches
# on), then builds "$@" (-k 0: a target that fails to compile does not stop the others), keeping
# `reserve_s` seconds for what comes after. The build folder of a warm machine is reused; a plan
# (--dry-run) shows the cold case, the longer one.
build() {
  local estimate_s=$1 reserve_s=$2 log=$OUT/build.log
  shift 2
  if ((!dry_run)); then
    {
      echo "# $(date -u +%FT%TZ) commit $commit"
      nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
      command -v nvcc >/dev/null && nvcc --version | tail -n 1
      cmake --version | head -n 1
    } >>"$log" 2>&1
    if [[ ! -d $deps_dir/include ]]; then
      echo "no $deps_dir/include: carry .deps (made by ../shared/tools/bundle-deps.sh .deps)" |
        tee -a "$log"
      set_status build "1 (no .deps)"
      return 1
    fi
  fi
  if ((dry_run)) || [[ ! -f $build_dir/build.ninja ]]; then
    local nvcc_path=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
    step configure "$est_configure_s" $(($(remaining) - reserve_s)) "$log" \
      cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTRACTOR_CUDA=ON \
      -DATTRACTOR_MPI=OFF -DATTRACTOR_PYTHON=OFF -DATTRACTOR_BUILD_TESTS=ON \
      -DATTRACTOR_BUILD_BENCH=ON -DATTRACTOR_DEPS_DIR="$deps_dir" -DCMAKE_CUDA_ARCHITECTURES=90 \
      -DCMAKE_CUDA_COMPILER="$nvcc_path" || return
  else
    estimate_s=$est_build_warm_s
  fi
  step build "$estimate_s" $(($(remaining) - reserve_s)) "$log" \
    cmake --build "$build_dir" -j "$jobs" --target "$@" -- -k 0
  local rc=$?
  cap_log "$log"
  return "$rc"
}

do_parity_bench() {
  build "$est_build_s" $((gpu_bench_min_s + control_s)) \
    attractor_tests attractor_bench_gpu attractor_bench_control
  [[ -f $build_dir/build.ninja ]] || ((dry_run)) || return

  # The gpu label (tests/CMakeLists.txt): the CUDA cases of every engine suite (".../cuda") and
  # the Cuda* and *Parity suites, 16 processes sharing the GPU (~0.5 GB of context each); two
  # OpenMP threads each for their CPU reference runs.
  local limit
  limit=$(at_most "$test_s" $(($(remaining) - gpu_bench_min_s - control_s)))
  step tests "$limit" "$limit" "$OUT/ctest.log" \
    env OMP_NUM_THREADS=2 ctest --test-dir "$build_dir" -L gpu -j "$jobs" \
    --timeout "$limit" --no-tests=error --output-on-failure \
    --output-junit "$(realpath -m "$build_dir")/ctest-junit.xml"
  cap_log "$OUT/ctest.log"

  # The engine benchmark stops its own runs at --budget and writes its JSON whatever happens;
  # the control bench cannot, so its time is kept aside and it runs last with all that is left.
  local device gpu_json control_json
  device=$(device_slug)
  gpu_json=$OUT/$day-$device.json
  control_json=$OUT/$day-control-$device.json
  limit=$(($(remaining) - control_s))
  # shellcheck disable=SC2086  # BENCH_ARGS is a list of words
  step gpu-bench "$limit" "$limit" "$OUT/bench.log" \
    python3 bench/run_gpu_bench.py --build "$build_dir" --out "$gpu_json" --commit "$commit" \
    --budget $((limit - 15)) ${BENCH_ARGS:-}
  finish_json "$gpu_json" $? gpu_step
  limit=$(($(remaining) - 5))
  # shellcheck disable=SC2086  # CONTROL_ARGS is a list of words
  step control-bench "$limit" "$limit" "$OUT/bench.log" \
    python3 bench/run_control_bench.py --build "$build_dir" --out "$control_json" ${CONTROL_ARGS:-}
  finish_json "$control_json" $? control_batch
  cap_log "$OUT/bench.log"
}

do_sanitize() {
  build "$est_build_s" 60 attractor_tests
  local tests_bin=$build_dir/tests/attractor_tests sanitizer filter pattern count limit tool
  [[ -x $tests_bin ]] || ((dry_run)) || return
  if ! sanitizer=$(sanitizer_bin); then
    echo "compute-sanitizer not found" | tee -a "$OUT/memcheck.log"
    set_status memcheck "127 (no compute-sanitizer)"
    return
  fi
  filter=$(IFS=:; echo "${sanitize_filters[*]}")
  if ((!dry_run)); then
    for pattern in "${sanitize_filters[@]}"; do
      count=$("$tests_bin" --gtest_list_tests --gtest_filter="$pattern" 2>/dev/null | grep -c '^  ')
      echo "# $pattern: $count tests" >>"$OUT/memcheck.log"
      ((count > 0)) || unmatched+=("$pattern")
    done
  fi
  # memcheck: out-of-bounds and misaligned accesses, uninitialized device frees; racecheck:
  # shared-memory hazards. memcheck gets half of what is left, racecheck the rest. Exit 99: the
  # tool found errors; any other non-zero code: the tests failed or it was stopped.
  for tool in memcheck racecheck; do
    limit=$(($(remaining) - 5))
    [[ $tool == memcheck ]] && limit=$((limit / 2))
    step "$tool" "$limit" "$limit" "$OUT/$tool.log" \
      "$sanitizer" --tool "$tool" --report-api-errors no --print-limit 50 --error-exitcode 99 \
      "$tests_bin" --gtest_filter="$filter"
    cap_log "$OUT/$tool.log"
  done
}

do_learning() {
  build "$est_build_learning_s" 60 attractor_bench_learning
  local data=${FASHION_MNIST:-.data/fashion-mnist} json
  json=$OUT/$day-learning-$(device_slug).json
  if [[ ! -d $data ]] && ((!dry_run)); then
    echo "no $data: copy /usr/share/datasets/fashion-mnist there and carry it" |
      tee -a "$OUT/bench.log"
    set_status learning-bench "skipped (no $data)"
    return
  fi
  step learning-bench $(($(remaining) - 5)) $(($(remaining) - 5)) "$OUT/bench.log" \
    python3 bench/run_learning_bench.py --build "$build_dir" --out "$json" --data "$data"
  finish_json "$json" $? competing_units
}

# ---- summary -------------------------------------------------------------------------------------
summarize_ctest() {
  local log=$OUT/ctest.log total done_ passed skipped
  [[ -f $log ]] || return 0
  total=$(grep -oE '^ *[0-9]+/[0-9]+ Test' "$log" | head -n 1 | sed -E 's/.*\/([0-9]+) Test/\1/')
  done_=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#' "$log")
  passed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#.* Passed ' "$log")
  skipped=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#.*Skipped' "$log")
  echo "-- tests: ${done_} of ${total:-?} finished: ${passed} passed," \
    "$((done_ - passed - skipped)) failed, ${skipped} skipped" \
    "$( ((skipped == 0)) || echo '(a skipped CUDA case saw no device)')"
  grep -E '^ *[0-9]+/[0-9]+ Test +#' "$log" | grep -vE ' Passed |Skipped' | head -n 30
  # Started but never finished: cut by the step's limit.
  grep -oE 'Start +[0-9]+: .*' "$log" | sed -E 's/Start +([0-9]+): (.*)/\1 \2/' | sort -n |
    while read -r number name; do
      grep -qE "Test +#$number: " "$log" || echo "   not finished: $name"
    done | head -n 30
}

summarize_sanitizer() {
  local tool=$1 log=$OUT/$1.log found tests ok
  [[ -f $log ]] || return 0
  found=$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$log" | tail -n 1)
  tests=$(grep -E '^\[  PASSED  \] [0-9]+ tests?\.|^\[  FAILED  \] [0-9]+ tests?,' "$log" |
    tr '\n' ' ')
  ok=$(grep -c '^\[       OK \]' "$log")
  echo "-- $tool: ${found:-no summary line (stopped?)} | $ok tests OK | gtest: ${tests:-none}"
  grep -E '^\[  FAILED  \] [A-Za-z]' "$log" | grep -vE '\([0-9]+ ms\)$' | sort -u | head -n 20
}

summarize() {
  echo
  echo "== device_check $phase: $((SECONDS - start_s))s of ${budget_s}s, commit $commit," \
    "results in $OUT"
  local k
  for k in "${order[@]}"; do echo "   $k: exit ${status[$k]}"; done
  if [[ ${status[build]:-0} != 0 || ${status[configure]:-0} != 0 ]] && [[ -f $OUT/build.log ]]; then
    echo "-- build.log (last 30 lines):"
    tail -n 30 "$OUT/build.log"
  fi
  summarize_ctest
  summarize_sanitizer memcheck
  summarize_sanitizer racecheck
  ((${#unmatched[@]} == 0)) || echo "-- sanitize filters that match no test: ${unmatched[*]}"
  if [[ -f $OUT/bench.log && $phase == parity-bench ]]; then
    # The engine benchmark's targets and table (or its last lines), then the control bench's.
    if grep -q '^## GPU benchmark' "$OUT/bench.log"; then
      sed -n '/^## GPU benchmark/,/^# .* control-bench: /p' "$OUT/bench.log" | grep -v '^# '
    else
      echo "-- gpu bench: no table; its last lines:"
      sed -n '/^# .* gpu-bench: /,/^# .* control-bench: /p' "$OUT/bench.log" | grep -v '^# ' |
        tail -n 8
    fi
    echo "-- control bench:"
    sed -n '/^# .* control-bench: /,$p' "$OUT/bench.log" | tail -n 8
  elif [[ -f $OUT/bench.log ]]; then
    echo "-- bench.log (last 40 lines):"
    tail -n 40 "$OUT/bench.log"
  fi
  echo "-- files in \$OUT (results: cp 20*.json bench/results/):"
  local f
  for f in "$OUT"/*; do
    [[ -f $f ]] && printf '   %s (%s bytes)\n' "${f##*/}" "$(stat -c %s "$f")"
  done
}

# ---- main ----------------------------------------------------------------------------------------
run_call() {
  phase=$1
  if ((dry_run)); then
    planned_s=0
    echo "== call: scripts/device_check.sh $phase   (BUDGET_S=$budget_s, BUILD_DIR=$build_dir," \
      "-j $jobs, OUT=${OUT:-out/device-check/$phase})"
    printf '  %-15s %6s  %12s  %s\n' step estimate "" command
  fi
  OUT=${OUT:-out/device-check/$phase}
  if ((!dry_run)); then
    mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
  fi
  case $phase in
    parity-bench) do_parity_bench ;;
    sanitize) do_sanitize ;;
    learning) do_learning ;;
  esac
  if ((dry_run)); then
    local verdict="fits the ${limit_s} s of a call"
    ((planned_s <= limit_s)) || { verdict="OVER the ${limit_s} s of a call"; failed=1; }
    echo "  total: ${planned_s} s of the ${budget_s} s budget: ${verdict}"
    if [[ $phase == sanitize ]]; then
      local half_s=$(((budget_s - est_build_warm_s - 5) / 2))
      echo "  warm (right after call 1, build folder reused): build ${est_build_warm_s} s," \
        "memcheck up to ${half_s} s, racecheck the rest; each ends sooner when its tests are done"
    fi
    return "$failed"
  fi
  summarize | tee "$OUT/summary.txt"
}

if ((dry_run)) && [[ -z $phase ]]; then
  echo "Plan of the GPU window (estimates for the device machine: 16 cores, one H100; a build"
  echo "folder left by call 1 is reused by call 2 on the same warm machine)"
  (run_call parity-bench)
  rc=$?
  echo
  (run_call sanitize) || rc=1
  echo
  echo "Device time: the machine's start (~1-2 min) + call 1 + call 2 must stay within 900 s; run"
  echo "call 2 at once with BUDGET_S set to what status's budget_left_s says, less 60 s."
  exit "$rc"
fi
run_call "$phase"
exit "$failed"
