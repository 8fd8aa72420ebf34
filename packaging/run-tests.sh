#!/usr/bin/env bash
# One command: install what is missing, build with warnings as errors, check
# formatting, and run the whole test suite (core, offscreen widgets, and the
# tray tests under Xvfb with a real tray from trayer).
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

cd "$build"
ctest --output-on-failure --timeout 300 -j"${LIFELINE_TEST_JOBS:-2}" "$@"
