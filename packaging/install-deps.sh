#!/usr/bin/env bash
# Installs what Lifeline needs to build, run and test on Debian/Ubuntu.
# apt as root, sudo otherwise; a clear message anywhere else.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-charts-dev libqt6opengl6-dev
  libqt6sql6-sqlite qt6-httpserver-dev qt6-websockets-dev qt6-svg-dev libqt6svg6 qt6-qpa-plugins
  libtomlplusplus-dev libyaml-dev zlib1g-dev
  dpkg-dev appstream desktop-file-utils
  xvfb xauth trayer xdotool imagemagick x11-utils clang-format curl
  python3 util-linux procps
)

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: this script knows Debian/Ubuntu (apt) only." >&2
  echo "install-deps: install Qt 6 (Core, Network, Sql, HttpServer, Widgets, Charts, Svg, Test), toml++ and CMake >= 3.21 by hand." >&2
  exit 2
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed."
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: not root and no sudo; install them as root." >&2
  exit 2
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
