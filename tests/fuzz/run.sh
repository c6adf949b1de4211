#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz for a while each; see tests/fuzz/README.md.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#
# TARGET is a folder name under tests/fuzz/corpus/ (all of them by default); its executable is
# BUILD_DIR/tests/fuzz/fuzz_TARGET. Each target runs for SECONDS on a scratch copy of its
# committed corpus, with its dictionary tests/fuzz/TARGET.dict when there is one.
#
# Environment:
#   FINDINGS=DIR  where reproducers (crash-*, leak-*, timeout-*, oom-*, slow-unit-*) and each
#                 target's log go, in DIR/TARGET/; a fresh mktemp folder by default, removed
#                 again when nothing was found.
#   GROW=1        afterwards, merge the inputs that add coverage into the committed corpus
#                 (libFuzzer -merge=1); review and commit them like any other change.
#   FUZZ_ARGS     extra libFuzzer flags, e.g. FUZZ_ARGS='-max_len=65536'.
#
# Prints one line per target (executions, coverage, seconds, outcome) and exits 1 when any target
# reported a crash, leak, timeout or out-of-memory, printing where its reproducer is.
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
build_dir=$(cd "$1" && pwd)
seconds=$2
shift 2
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=()
  for dir in "$here"/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

if [[ -n ${FINDINGS:-} ]]; then
  findings=$FINDINGS
  mkdir -p "$findings"
  own_findings=0
else
  findings=$(mktemp -d "${TMPDIR:-/tmp}/attractor-fuzz-findings.XXXXXX")
  own_findings=1
fi
findings=$(cd "$findings" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/attractor-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Symbolized stacks in the reports; UBSan's too.
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} ]] && command -v llvm-symbolizer >/dev/null; then
  ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer)
  export ASAN_SYMBOLIZER_PATH
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

read -r -a extra <<<"${FUZZ_ARGS:-}"
failed=()
for target in "${targets[@]}"; do
  exe=$build_dir/tests/fuzz/fuzz_$target
  [[ -x $exe ]] || exe=$build_dir/fuzz_$target
  if [[ ! -x $exe ]]; then
    echo "$target: no executable fuzz_$target under $build_dir (configure with -DATTRACTOR_FUZZ=ON and build --target fuzz)" >&2
    failed+=("$target")
    continue
  fi
  corpus=$here/corpus/$target
  [[ -d $corpus ]] || { echo "$target: no seed corpus $corpus" >&2; failed+=("$target"); continue; }
  work=$scratch/$target
  out=$findings/$target
  mkdir -p "$work/corpus" "$work/tmp" "$out"
  cp -R "$corpus"/. "$work/corpus/"
  flags=(-max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10
         -print_final_stats=1 -artifact_prefix="$out/")
  [[ -f $here/$target.dict ]] && flags+=(-dict="$here/$target.dict")
  log=$out/$target.log
  start=$SECONDS
  # The harness's temporary input file lives in $work/tmp, so nothing is left behind even when
  # the process dies on a finding.
  status=0
  TMPDIR=$work/tmp "$exe" "${flags[@]}" "${extra[@]}" "$work/corpus" >"$log" 2>&1 || status=$?
  elapsed=$((SECONDS - start))

  # No status line at all when the first seed already fails: pipelines that match nothing are fine.
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)
  [[ -n $execs ]] ||
    execs=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -E 's/^#([0-9]+).*/\1/' || true)
  cov=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1 | sed -E 's/.* cov: ([0-9]+).*/\1/' || true)
  ft=$(grep -E '^#[0-9]+.* ft: ' "$log" | tail -n 1 | sed -E 's/.* ft: ([0-9]+).*/\1/' || true)
  shopt -s nullglob
  artifacts=("$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* "$out"/slow-unit-*)
  shopt -u nullglob
  kind=$(grep -m1 -oE "ERROR: libFuzzer: [a-z-]+|ERROR: (AddressSanitizer|LeakSanitizer): [A-Za-z-]+|runtime error: [^:]*|ATTRACTOR_FUZZ_CHECK|terminate called after throwing an instance of '[^']*'" "$log" || true)
  if [[ $status -eq 0 && ${#artifacts[@]} -eq 0 ]]; then
    outcome=ok
  else
    outcome="FINDING (${kind:-exit status $status})"
    for a in "${artifacts[@]}"; do outcome+=" reproducer: $a"; done
    outcome+=" log: $log"
    failed+=("$target")
  fi
  printf '%-18s execs=%-10s cov=%-6s ft=%-6s time=%ss %s\n' "$target" "${execs:-?}" "${cov:-?}" \
    "${ft:-?}" "$elapsed" "$outcome"

  if [[ ${GROW:-0} == 1 ]]; then
    # Crash-resilient merge: an input that kills the merge process is skipped, not added.
    TMPDIR=$work/tmp "$exe" -merge=1 -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
      "$corpus" "$work/corpus" >"$out/merge.log" 2>&1 ||
      echo "$target: merge into $corpus failed, see $out/merge.log" >&2
    echo "$target: corpus now $(find "$corpus" -type f | wc -l) files ($(du -sh "$corpus" | cut -f1))"
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "findings in: ${failed[*]}; reproducers and logs under $findings"
  echo "reproduce one with: $build_dir/tests/fuzz/fuzz_TARGET REPRODUCER"
  exit 1
fi
if [[ $own_findings == 1 ]]; then rm -rf "$findings"; fi
exit 0
