#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root) to a result:
#   scripts/quickstart.sh demo    install what is missing, build (Release), run `attractor demo`
#   scripts/quickstart.sh test    the same set-up, then the whole test suite (ctest)
# Environment: BUILD_DIR (default build), ATTRACTOR_CUDA (AUTO), JOBS (all cores); with CI=true
# warnings are errors.
set -euo pipefail
what=${1:-demo}
case "$what" in demo | test) ;; *) echo "usage: $0 demo|test" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}

# What the demo needs, then what the whole test suite needs on top: MPI, the Python package (and
# a virtual environment to pip-install it into), clang for the fuzz targets, and clang-format and
# clang-tidy for CI's checks (scripts/check_format.sh, scripts/check_tidy.sh).
packages=(build-essential cmake ninja-build libeigen3-dev libcli11-dev nlohmann-json3-dev
          libfmt-dev libstb-dev libspectra-dev zlib1g-dev)
if [ "$what" = test ]; then
  packages+=(libgtest-dev googletest python3 libopenmpi-dev openmpi-bin pybind11-dev python3-dev
             python3-numpy python3-scipy python3-pytest python3-matplotlib python3-venv python3-pip
             clang libclang-rt-14-dev libomp-14-dev clang-format clang-tidy)
fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "quickstart: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
# The demo builds the library and the command line only; the tests build everything. The
# Python package is built for, and tested with, the interpreter the Debian packages above serve
# (NumPy, SciPy, pytest), whatever else comes first on PATH. compile_commands.json is for
# scripts/check_tidy.sh.
if [ "$what" = demo ]; then
  parts=(-DATTRACTOR_BUILD_TESTS=OFF -DATTRACTOR_BUILD_BENCH=OFF -DATTRACTOR_PYTHON=OFF
         -DATTRACTOR_MPI=OFF)
else
  parts=(-DATTRACTOR_BUILD_TESTS=ON -DATTRACTOR_BUILD_BENCH=ON -DATTRACTOR_PYTHON=AUTO
         -DATTRACTOR_MPI=AUTO -DPython_EXECUTABLE=/usr/bin/python3)
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DATTRACTOR_CUDA="${ATTRACTOR_CUDA:-AUTO}" -DATTRACTOR_WERROR="$werror" \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "${parts[@]}" >/dev/null

if [ "$what" = demo ]; then
  cmake --build "$build" --parallel "$jobs" --target attractor_cli
  exec "$build/host/cli/attractor" demo
fi
cmake --build "$build" --parallel "$jobs"
cd "$build"
exec ctest --output-on-failure --parallel "$jobs"
