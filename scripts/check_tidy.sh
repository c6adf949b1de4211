#!/usr/bin/env bash
# clang-tidy (14, Debian 12's) with the project's .clang-tidy over the project's own C++ sources;
# every finding is an error (.clang-tidy's WarningsAsErrors) and fails the check.
#   scripts/check_tidy.sh [build-dir]    (default: build, the folder scripts/quickstart.sh makes)
# It reads the compile_commands.json of a CPU-only build: the build folder's own when it has one
# (scripts/quickstart.sh writes it), else a configuration made for it (CPU only, tests and
# benchmarks on, MPI and Python as found; configured, not compiled): in the folder when that is
# new, beside it (<build-dir>-tidy) when it is a build with CUDA, whose .cu files clang-tidy
# cannot parse reliably, or one configured without the database. JOBS sets the parallel
# clang-tidy processes (default: all cores). On 2 cores the run takes about 6 minutes (334 s on
# the development machine): the check list in .clang-tidy is sized for that.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$root/build}")
jobs=${JOBS:-$(nproc)}

find_tool() {  # the path of the first of the given commands that exists
  for candidate in "$@"; do command -v "$candidate" && return 0; done
  return 0
}
clang_tidy=${CLANG_TIDY:-$(find_tool clang-tidy-14 clang-tidy)}
run_clang_tidy=${RUN_CLANG_TIDY:-$(find_tool run-clang-tidy-14 run-clang-tidy)}
if [ -z "$clang_tidy" ] || [ -z "$run_clang_tidy" ]; then
  echo "check_tidy: clang-tidy 14 not found (Debian 12: apt-get install clang-tidy)" >&2
  exit 2
fi
if ! [[ $("$clang_tidy" --version) =~ version\ 14\. ]]; then
  echo "check_tidy: $clang_tidy is not clang-tidy 14; set CLANG_TIDY and RUN_CLANG_TIDY" >&2
  exit 2
fi

# A build with CUDA, or one configured without the database, is left as it is.
db=$build
cu_files='"file": "[^"]*\.cu"'
if [ -f "$build/CMakeCache.txt" ] && { [ ! -f "$build/compile_commands.json" ] ||
  grep -q "$cu_files" "$build/compile_commands.json"; }; then
  db=$build-tidy
fi
if [ ! -f "$db/compile_commands.json" ]; then
  echo "check_tidy: configuring $db (CPU only) for its compile_commands.json" >&2
  cmake -S "$root" -B "$db" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DATTRACTOR_CUDA=OFF -DATTRACTOR_BUILD_TESTS=ON \
    -DATTRACTOR_BUILD_BENCH=ON -DATTRACTOR_PYTHON=AUTO -DATTRACTOR_MPI=AUTO >/dev/null
fi

# The project's own translation units: the database's .cpp files under the source folders, which
# leaves out what the build generates (iris_table.cpp, in the build folder). Their headers are
# checked through them. The log keeps each file's command and findings, without the colours
# run-clang-tidy 14 always asks for or the counts of warnings suppressed in system headers.
folders='(bench|core|host|kernels|python|tests)'
root_re=$(printf '%s' "$root" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
start=$(date +%s)
status=0
"$run_clang_tidy" -p "$db" -j "$jobs" -quiet -clang-tidy-binary "$clang_tidy" \
  -header-filter="^$root_re/$folders/" "^$root_re/$folders/.*\\.cpp\$" 2>&1 |
  sed -u -e 's/\x1b\[[0-9;]*m//g' -e '/^[0-9]* warnings\? generated\.$/d' || status=$?
if ((status)); then
  echo "check_tidy: findings above (each is an error); $(($(date +%s) - start)) s" >&2
else
  echo "check_tidy: no findings; $(($(date +%s) - start)) s" >&2
fi
exit "$status"
