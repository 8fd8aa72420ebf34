#!/usr/bin/env bash
# Starts Lifeline on the demo stack under a private Xvfb with a tray and saves
# screenshots: the system overview and the detail pane of one service.
#   packaging/screenshot.sh [OUT_DIR] [SECONDS_TO_RUN]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build/screenshots}
wait_s=${2:-25}
build=${LIFELINE_BUILD_DIR:-$here/build}
mkdir -p "$out"
for tool in xvfb-run trayer import; do
  command -v "$tool" >/dev/null || { echo "screenshot: $tool is missing (packaging/install-deps.sh)" >&2; exit 1; }
done

shoot() { # name selected-service
  local name=$1 selected=$2 cfg
  cfg=$(mktemp -d)
  mkdir -p "$cfg/lifeline"
  printf '[window]\nselected=%s\n' "$selected" > "$cfg/lifeline/lifeline.conf"
  XDG_CONFIG_HOME=$cfg PATH="$build/bin:$PATH" xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
    trayer --edge bottom --align right --widthtype pixel --width 120 --height 24 &
    tray=$!
    lifeline --config "$1" &
    app=$!
    sleep "$2"
    import -window root "$3"
    kill -TERM "$app"; wait "$app" || true
    kill "$tray" 2>/dev/null || true
  ' shoot "$here/resources/demo/lifeline.toml" "$wait_s" "$out/$name.png"
  rm -rf "$cfg"
  echo "screenshot: $out/$name.png"
}

shoot overview ""
shoot service-api api
