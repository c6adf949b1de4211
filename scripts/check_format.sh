#!/usr/bin/env bash
# The formatting check: every tracked C++/CUDA source against .clang-format, with the clang-format
# Debian 12 ships (14; other versions format differently, so the check insists on it).
#   scripts/check_format.sh          list the files clang-format would change; exit 1 if any
#   scripts/check_format.sh --fix    rewrite them in place
# CLANG_FORMAT names another binary of version 14. Nothing here is vendored; tests/data and the
# fuzz corpora hold no sources.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=false
case "${1:-}" in
  "") ;;
  --fix) fix=true ;;
  *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac

clang_format=${CLANG_FORMAT:-}
if [ -z "$clang_format" ]; then
  for candidate in clang-format-14 clang-format; do
    if command -v "$candidate" >/dev/null; then clang_format=$candidate; break; fi
  done
fi
if [ -z "$clang_format" ]; then
  echo "check_format: clang-format 14 not found (Debian 12: apt-get install clang-format)" >&2
  exit 2
fi
version=$("$clang_format" --version)
if ! [[ $version =~ version\ 14\. ]]; then
  echo "check_format: $clang_format is '$version', not version 14; set CLANG_FORMAT" >&2
  exit 2
fi

# The C++ and CUDA sources, and the C++ templates CMake configures (iris_table.cpp.in).
mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.cu' '*.cuh' '*.cpp.in' \
  ':!:tests/data/**' ':!:tests/fuzz/corpus/**')

changed=()
for f in "${files[@]}"; do
  "$clang_format" --dry-run -Werror "$f" 2>/dev/null || changed+=("$f")
done
((${#changed[@]})) && printf '%s\n' "${changed[@]}"
if $fix; then
  ((${#changed[@]})) && "$clang_format" -i "${changed[@]}"
  echo "check_format: reformatted ${#changed[@]} of ${#files[@]} files" >&2
elif ((${#changed[@]})); then
  echo "check_format: ${#changed[@]} of ${#files[@]} files are not formatted;" \
       "scripts/check_format.sh --fix rewrites them" >&2
  exit 1
else
  echo "check_format: all ${#files[@]} files formatted" >&2
fi
