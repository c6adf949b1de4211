#!/usr/bin/env bash
# The installed package as another project sees it (ctest `package.consumer`): `cmake --install`
# of this build into an empty prefix, then tests/package_consumer/ configured with that prefix
# first on its search path, built with the same compiler and generator, and run. A dependency
# that the package's headers or its exported target need but its attractorConfig.cmake does not
# find fails here.
# Environment: ATTRACTOR_BUILD_DIR, CMAKE, CMAKE_GENERATOR, CXX (as the build used them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$CMAKE" --install "$ATTRACTOR_BUILD_DIR" --prefix "$work/prefix" >/dev/null
"$CMAKE" -S "$here/package_consumer" -B "$work/build" -G "$CMAKE_GENERATOR" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
"$CMAKE" --build "$work/build"
"$work/build/consumer"
