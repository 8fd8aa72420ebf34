#!/usr/bin/env bash
# One command for a newcomer: install what is missing, build, and start
# Lifeline on its own demo stack (three demo backends: a healthy API, a
# leaking worker that depends on it, and a service that crashes every 20 s).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/packaging/install-deps.sh"
# Only what the demo runs; run-tests.sh builds the rest.
"$here/packaging/build.sh" lifeline lifelinectl lifeline-demo-backend lifeline-logger
build=${LIFELINE_BUILD_DIR:-$here/build}
export PATH="$build/bin:$PATH"
config="$here/resources/demo/lifeline.toml"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run-demo: no display; starting the engine headless. In another terminal:"
  echo "  $build/bin/lifelinectl --config $config status"
  exec lifeline --headless --config "$config"
fi
exec lifeline --config "$config" "$@"
