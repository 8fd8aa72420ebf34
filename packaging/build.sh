#!/usr/bin/env bash
# Configure and build Lifeline into build/ (or $LIFELINE_BUILD_DIR).
# Warnings are errors here, as in CI. Arguments, if any, are the targets to
# build (default: everything, tests included).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${LIFELINE_BUILD_DIR:-$here/build}
type=${LIFELINE_BUILD_TYPE:-RelWithDebInfo}
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE="$type" -DLIFELINE_WERROR=ON
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j"${LIFELINE_JOBS:-2}" "${targets[@]}"
