#!/usr/bin/env bash
# Runs one test under a private Xvfb with a system tray (trayer), because
# QSystemTrayIcon::isSystemTrayAvailable() is false on a bare X server.
set -euo pipefail
test_bin=$1; shift
if ! command -v xvfb-run >/dev/null 2>&1 || ! command -v trayer >/dev/null 2>&1; then
  echo "run-with-tray: xvfb-run and trayer are needed (packaging/install-deps.sh installs them)" >&2
  exit 1
fi
exec xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  trayer --edge bottom --align right --widthtype pixel --width 120 --height 24 &
  tray=$!
  trap "kill $tray 2>/dev/null || true" EXIT
  # trayer needs a moment to claim the tray selection; the test itself waits
  # for QSystemTrayIcon::isSystemTrayAvailable() instead of sleeping.
  "$@"
' run-with-tray "$test_bin" "$@"
