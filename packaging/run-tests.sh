#!/usr/bin/env bash
# One command: install what is missing, build with warnings as errors, check
# formatting, and run the whole test suite (core, offscreen widgets, and the
# tray tests under Xvfb with a real tray from trayer); then build and run the
# platform-independent part against the null platform.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/packaging/install-deps.sh"
"$here/packaging/build.sh"
build=${LIFELINE_BUILD_DIR:-$here/build}

# .clang-format is followed: report any file that differs.
if command -v clang-format >/dev/null 2>&1; then
  mapfile -t files < <(cd "$here" && git ls-files '*.cpp' '*.h' 2>/dev/null || true)
  if [ ${#files[@]} -gt 0 ]; then
    (cd "$here" && clang-format --dry-run --Werror "${files[@]}")
  fi
fi

(cd "$build" && ctest --output-on-failure --timeout 300 -j"${LIFELINE_TEST_JOBS:-2}" "$@")

# The null platform (docs/platforms.md): lifeline_core and the tests that need
# no operating system support, built without any *_linux.cpp file and with
# the Linux-only calls poisoned, then run, so the seam cannot rot. Only those
# targets are built; the compiler launcher and build type are the main build's.
null_build=${LIFELINE_NULL_BUILD_DIR:-$here/build-null}
if [ ! -f "$null_build/CMakeCache.txt" ]; then
  launcher=()
  if [ -f "$build/CMakeCache.txt" ]; then
    l=$(sed -n 's/^CMAKE_CXX_COMPILER_LAUNCHER:[A-Z]*=//p' "$build/CMakeCache.txt")
    [ -n "$l" ] && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER="$l")
  fi
  generator=()
  command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
  cmake -S "$here" -B "$null_build" "${generator[@]}" "${launcher[@]}" \
    -DCMAKE_BUILD_TYPE="${LIFELINE_BUILD_TYPE:-RelWithDebInfo}" -DLIFELINE_WERROR=ON -DLIFELINE_PLATFORM=null
fi
cmake --build "$null_build" -j"${LIFELINE_JOBS:-2}" --target lifeline_core lifeline_null_tests
(cd "$null_build" && ctest --output-on-failure --timeout 300 -j"${LIFELINE_TEST_JOBS:-2}")
