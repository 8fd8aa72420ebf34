#!/usr/bin/env bash
# Regenerates the README's screenshots (docs/screenshots/*.png): Lifeline on
# its demo stack under a private Xvfb with a tray (trayer), driven by xdotool
# and captured with ImageMagick's import. Installs nothing: the tools come
# with packaging/install-deps.sh, the binaries with packaging/build.sh.
#   packaging/screenshot.sh [DISPLAY_NUMBER] [OUT_DIR]
# The display number (default 97) must be free; the demo's ports move with it
# (30000 + 10 * display ...), so two runs on one machine do not collide.
# Everything it starts it stops again, by PID, and its files live in a
# temporary folder removed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
disp=${1:-97}
out=${2:-$here/docs/screenshots}
build=${LIFELINE_BUILD_DIR:-$here/build}
warmup=${LIFELINE_SCREENSHOT_WARMUP:-60} # seconds of history before the first shot

for tool in Xvfb trayer xdotool import xdpyinfo; do
  command -v "$tool" >/dev/null || { echo "screenshot: $tool is missing (packaging/install-deps.sh)" >&2; exit 1; }
done
for bin in lifeline lifeline-demo-backend lifeline-logger; do
  [ -x "$build/bin/$bin" ] || { echo "screenshot: $build/bin/$bin is missing (packaging/build.sh)" >&2; exit 1; }
done
if [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ]; then
  echo "screenshot: display :$disp is taken; pass a free display number" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lifeline-shots.XXXXXX")
pids=()
cleanup() {
  # Lifeline first (its on_exit = "stop" ends the demo services), then the X side.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# The demo stack with its own state, settings and ports.
port_base=$((3000 + disp))
sed -E -e "s|^state_dir = .*|state_dir = \"$tmp/state\"|" -e "s/1808([0-9])/${port_base}\1/g" \
  "$here/resources/demo/lifeline.toml" > "$tmp/lifeline.toml"
mkdir -p "$tmp/config/lifeline" "$tmp/run" "$out"
chmod 700 "$tmp/run"
# The worker's detail first (memory climbing to its limit): the window opens on the service it showed last.
# No balloons: where one lands and when depends on timing, not on what is shown.
printf '[window]\nselected=worker\ntoldClosesToTray=true\n[notifications]\nenabled=false\n' \
  > "$tmp/config/lifeline/lifeline.conf"
export DISPLAY=":$disp" XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/run" \
  PATH="$build/bin:$PATH" LIFELINE_NO_DIALOGS=1 QT_QPA_PLATFORMTHEME= QT_SCALE_FACTOR=1

Xvfb ":$disp" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo >/dev/null 2>&1 || { echo "screenshot: Xvfb :$disp did not start" >&2; exit 1; }
trayer --edge bottom --align right --widthtype pixel --width 120 --height 24 >/dev/null 2>&1 &
pids+=($!)

lifeline --config "$tmp/lifeline.toml" >"$tmp/lifeline.log" 2>&1 &
pids+=($!)
wid=$(timeout 30 xdotool search --sync --onlyvisible --name '^Lifeline$' | head -n 1) ||
  { echo "screenshot: the window did not appear:" >&2; cat "$tmp/lifeline.log" >&2; exit 1; }
# No window manager: place it, and give it the keyboard ourselves.
xdotool windowmove "$wid" 0 0 windowsize "$wid" 1280 772
xdotool mousemove 640 300
xdotool windowfocus "$wid"

shot() {
  sleep 1 # let the last change paint
  import -window root "$out/$1.png"
  echo "screenshot: $out/$1.png"
}

sleep "$warmup"
shot service
xdotool key alt+v s # View > System overview
shot overview
xdotool key ctrl+shift+e # Emergency recovery: the plan
sleep 2
shot recovery
