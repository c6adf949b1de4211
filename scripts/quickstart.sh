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

packages=(build-essential cmake ninja-build libeigen3-dev libcli11-dev nlohmann-json3-dev
          libfmt-dev libstb-dev libspectra-dev libgtest-dev googletest python3
          libopenmpi-dev openmpi-bin pybind11-dev python3-dev python3-numpy python3-scipy
          python3-pytest python3-matplotlib)
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
# The Python package is built for, and tested with, the interpreter the Debian packages above
# serve (NumPy, SciPy, pytest), whatever else comes first on PATH.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DATTRACTOR_CUDA="${ATTRACTOR_CUDA:-AUTO}" -DATTRACTOR_WERROR="$werror" \
  -DPython_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$build" --parallel "$jobs"

if [ "$what" = demo ]; then
  exec "$build/host/cli/attractor" demo
fi
cd "$build"
exec ctest --output-on-failure --parallel "$jobs"
