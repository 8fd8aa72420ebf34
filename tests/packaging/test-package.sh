#!/usr/bin/env bash
# The package as a person gets it: cpack builds the .deb and the .tar.gz from
# BUILD_DIR; the .deb's metadata and file list are checked, it is unpacked into
# a scratch root and its programs run from there without a display; then
# `cmake --install` into a scratch prefix, and the installed files go through
# the validators that are present.
# usage: test-package.sh BUILD_DIR VERSION COMMIT   (COMMIT may be empty)
set -euo pipefail
build=$1
version=$2
commit=$3
tmp=$(mktemp -d /tmp/lifeline-package.XXXXXX)
demo_pid=
cleanup() {
  if [ -n "$demo_pid" ]; then
    kill -TERM "$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
unset DISPLAY WAYLAND_DISPLAY

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
skip() { echo "SKIP: $*"; }
for tool in cpack dpkg-deb dpkg-shlibdeps tar; do
  command -v "$tool" >/dev/null || fail "$tool is missing (packaging/install-deps.sh installs it)"
done

run_cpack() { # GENERATOR
  if ! cpack --config "$build/CPackConfig.cmake" -G "$1" -B "$tmp/out" >"$tmp/cpack-$1.log" 2>&1; then
    cat "$tmp/cpack-$1.log" >&2
    fail "cpack -G $1"
  fi
}

expect_version() { # PROGRAM OUTPUT
  local want="$1 $version"
  [ -n "$commit" ] && want="$want (commit $commit)"
  [ "$2" = "$want" ] || fail "$1 --version printed \"$2\", expected \"$want\""
}

# ---- .deb ----
run_cpack DEB
deb=$(echo "$tmp"/out/lifeline_*.deb)
[ -f "$deb" ] || fail "no lifeline_*.deb in $tmp/out: $(ls "$tmp/out")"
dpkg-deb -I "$deb" >"$tmp/info"
grep -qx " Package: lifeline" "$tmp/info" || fail "package name: $(cat "$tmp/info")"
grep -qx " Version: $version" "$tmp/info" || fail "package version: $(cat "$tmp/info")"
depends=$(dpkg-deb -f "$deb" Depends)
# libqt6core6 and libc6 come from dpkg-shlibdeps, the rest is declared.
for dep in libqt6core6 libqt6widgets6 libc6 libqt6sql6-sqlite libqt6svg6 qt6-qpa-plugins; do
  grep -Eq "(^|, )$dep( |,|$)" <<<"$depends" || fail "Depends lacks $dep: $depends"
done

dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/contents"
files=(
  usr/bin/lifeline usr/bin/lifelinectl usr/bin/lifeline-logger usr/bin/lifeline-demo-backend
  usr/share/applications/lifeline.desktop
  usr/share/icons/hicolor/scalable/apps/lifeline.svg
  usr/share/metainfo/local.lifeline.Lifeline.metainfo.xml
  usr/lib/systemd/user/lifeline-headless.service
  usr/share/lifeline/demo/lifeline.toml
  usr/share/doc/lifeline/README.md
)
for f in "${files[@]}"; do
  grep -qx "./$f" "$tmp/contents" || fail "the .deb lacks $f"
done

root=$tmp/root
dpkg -x "$deb" "$root"
expect_version lifeline "$("$root/usr/bin/lifeline" --version)"
expect_version lifelinectl "$("$root/usr/bin/lifelinectl" --version)"
"$root/usr/bin/lifelinectl" check-config "$root/usr/share/lifeline/demo/lifeline.toml" >"$tmp/check.log" 2>&1 ||
  fail "check-config on the installed demo config: $(cat "$tmp/check.log")"
grep -qx "ExecStart=/usr/bin/lifeline --headless --config %E/lifeline/lifeline.toml" "$root/usr/lib/systemd/user/lifeline-headless.service" ||
  fail "the .deb's unit does not start /usr/bin/lifeline: $(cat "$root/usr/lib/systemd/user/lifeline-headless.service")"

# `lifeline --demo` from the unpacked package: the installed demo config, the
# demo backend beside lifeline (not on PATH), the state in the user's HOME.
mkdir -p "$tmp/home" "$tmp/run"
chmod 700 "$tmp/run"
demo_config=$root/usr/share/lifeline/demo/lifeline.toml
HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/run PATH=/usr/bin:/bin \
  "$root/usr/bin/lifeline" --demo --headless >"$tmp/demo.log" 2>&1 &
demo_pid=$!
running=0
for _ in $(seq 300); do
  kill -0 "$demo_pid" 2>/dev/null || fail "lifeline --demo exited: $(cat "$tmp/demo.log")"
  running=$(HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/run "$root/usr/bin/lifelinectl" --config "$demo_config" status \
    2>/dev/null | awk '$2 == "running"' | wc -l) || true
  [ "$running" -eq 3 ] && break
  sleep 0.2
done
[ "$running" -eq 3 ] || fail "the demo services are not running: $(cat "$tmp/demo.log")"
[ -d "$tmp/home/.local/state/lifeline-demo" ] || fail "the demo state is not in the user's state dir"
kill -TERM "$demo_pid"
wait "$demo_pid" || fail "lifeline --demo did not stop cleanly on SIGTERM: $(cat "$tmp/demo.log")"
demo_pid=

# ---- .tar.gz: a /usr/local tree ----
run_cpack TGZ
tgz=$tmp/out/lifeline-$version-Linux.tar.gz
[ -f "$tgz" ] || fail "no $(basename "$tgz") in $tmp/out: $(ls "$tmp/out")"
tar -tzf "$tgz" >"$tmp/tgz-contents"
for f in "${files[@]}"; do
  grep -qx "usr/local/${f#usr/}" "$tmp/tgz-contents" || fail "the .tar.gz lacks usr/local/${f#usr/}"
done
mkdir "$tmp/tgz"
tar -xzf "$tgz" -C "$tmp/tgz"
expect_version lifelinectl "$("$tmp/tgz/usr/local/bin/lifelinectl" --version)"
grep -qx "ExecStart=/usr/local/bin/lifeline --headless --config %E/lifeline/lifeline.toml" \
  "$tmp/tgz/usr/local/lib/systemd/user/lifeline-headless.service" || fail "the .tar.gz's unit does not start /usr/local/bin/lifeline"

# ---- cmake --install, any prefix ----
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || fail "cmake --install: $(cat "$tmp/install.log")"
for f in "${files[@]}"; do
  f=${f#usr/}
  [ -f "$prefix/$f" ] || fail "cmake --install did not install $f"
done
unit=$prefix/lib/systemd/user/lifeline-headless.service
grep -qxF "ExecStart=$prefix/bin/lifeline --headless --config %E/lifeline/lifeline.toml" "$unit" || fail "unit ExecStart: $(cat "$unit")"
grep -qx "Restart=on-failure" "$unit" || fail "unit Restart: $(cat "$unit")"
expect_version lifeline "$("$prefix/bin/lifeline" --version)"

if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$unit" || fail "systemd-analyze verify on the user unit"
else
  skip "systemd-analyze is not installed: the user unit is not verified"
fi
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$prefix/share/applications/lifeline.desktop" || fail "desktop-file-validate"
else
  skip "desktop-file-validate is not installed (desktop-file-utils): the desktop entry is not validated"
fi
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net "$prefix/share/metainfo/local.lifeline.Lifeline.metainfo.xml" ||
    fail "appstreamcli validate"
else
  skip "appstreamcli is not installed (appstream): the metainfo file is not validated"
fi
echo "PASS"
