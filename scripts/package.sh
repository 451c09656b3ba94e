#!/usr/bin/env bash
# Builds the two Debian packages with cargo-deb, checks what is in them
# (dpkg-deb -c, conffiles, dependencies, stripped binaries, no server code
# in the kiosk) and what lintian says, then installs them on this machine
# (apt-get, which brings cage and the rest), runs them as installed (an
# enrolment and a heartbeat between the two), verifies the installed units
# with systemd-analyze, and removes and purges them (dpkg -r, dpkg -P).
#
#   scripts/package.sh            everything above (needs root: it installs)
#   scripts/package.sh --build    build and check the .deb files only
#
# The packages land in $CARGO_TARGET_DIR/debian (target/debian).
set -euo pipefail
cd "$(dirname "$0")/.."

build_only=false
[ "${1:-}" = "--build" ] && build_only=true
target=${CARGO_TARGET_DIR:-$PWD/target}
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)

fail() {
  echo "package: $*" >&2
  exit 1
}

"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lintian binutils >/dev/null
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked --version 3.8.0

# --strip: the release profile keeps line tables for backtraces and
# profiles (149 MB for the server); the packages carry none.
for crate in baodao-sync-server baodao-kiosk; do
  cargo deb -p "$crate" --locked --strip
done
version=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["packages"][0]["version"])')
arch=$(dpkg --print-architecture)
server_deb="$target/debian/baodao-sync-server_${version}-1_${arch}.deb"
kiosk_deb="$target/debian/baodao-kiosk_${version}-1_${arch}.deb"
[ -f "$server_deb" ] && [ -f "$kiosk_deb" ] || fail "no packages in $target/debian"

# What each package holds.
contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./|/|'; }
expect() {
  local deb=$1
  shift
  local listing
  listing=$(contents "$deb")
  for path in "$@"; do
    grep -qx "$path" <<<"$listing" || fail "$(basename "$deb") lacks $path"
  done
}
expect "$server_deb" \
  /usr/bin/baodao-sync-server \
  /etc/baodao/server.toml \
  /usr/lib/systemd/system/baodao-sync-server.service \
  /usr/lib/sysusers.d/baodao-sync-server.conf \
  /usr/lib/tmpfiles.d/baodao-sync-server.conf \
  /usr/share/man/man1/baodao-sync-server.1.gz \
  /usr/share/doc/baodao-sync-server/copyright \
  /usr/share/doc/baodao-sync-server/changelog.Debian.gz
expect "$kiosk_deb" \
  /usr/bin/baodao-kiosk \
  /etc/baodao/kiosk.toml \
  /usr/lib/systemd/system/baodao-kiosk.service \
  /usr/lib/systemd/system/baodao-kiosk-headless.service \
  /usr/lib/sysusers.d/baodao-kiosk.conf \
  /usr/lib/tmpfiles.d/baodao-kiosk.conf \
  /usr/share/baodao-kiosk/sounds/success.wav \
  /usr/share/baodao-kiosk/sounds/already.wav \
  /usr/share/baodao-kiosk/sounds/refused.wav \
  /usr/share/doc/baodao-kiosk/fonts/DroidSansFallbackFull.LICENSE.txt \
  /usr/share/man/man1/baodao-kiosk.1.gz \
  /usr/share/doc/baodao-kiosk/copyright
dpkg-deb -f "$kiosk_deb" Depends | grep -q 'cage' || fail "the kiosk package does not depend on cage"
for deb in "$server_deb" "$kiosk_deb"; do
  dpkg-deb -I "$deb" conffiles | grep -q '^/etc/baodao/' || fail "$(basename "$deb"): no conffile under /etc/baodao"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/baodao-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$server_deb" "$work/server"
dpkg-deb -x "$kiosk_deb" "$work/kiosk"
for bin in "$work/server/usr/bin/baodao-sync-server" "$work/kiosk/usr/bin/baodao-kiosk"; do
  if readelf -S "$bin" | grep -Eq '\.debug_(info|line)'; then fail "$bin is not stripped"; fi
done
# The kiosk is the kiosk: no console, no signing key, no demo server.
for word in /console/login card-signing-key baodao-demo-server; do
  if grep -aq "$word" "$work/kiosk/usr/bin/baodao-kiosk"; then
    fail "the kiosk binary carries server or demo code ($word)"
  fi
done
du -h "$server_deb" "$kiosk_deb" "$work/server/usr/bin/baodao-sync-server" "$work/kiosk/usr/bin/baodao-kiosk"

# lintian: every tag it prints fails the build, except those overridden
# with their reasons in assets/debian/*.lintian-overrides.
for deb in "$server_deb" "$kiosk_deb"; do
  echo "lintian $(basename "$deb")"
  lintian --fail-on error,warning --tag-display-limit 0 "$deb" || fail "lintian: $(basename "$deb")"
done

if $build_only; then
  exit 0
fi

# Installed as a site would: apt-get brings the dependencies (cage, Mesa).
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$server_deb" "$kiosk_deb" >/dev/null
id baodao >/dev/null || fail "no baodao user after install"
id -nG baodao-kiosk | tr ' ' '\n' | grep -qx video || fail "baodao-kiosk is not in the video group"
for dir in /var/lib/baodao:baodao /var/lib/baodao-kiosk:baodao-kiosk; do
  path=${dir%%:*}
  owner=${dir##*:}
  [ "$(stat -c '%U %a' "$path")" = "$owner 700" ] || fail "$path is $(stat -c '%U %a' "$path"), not $owner 700"
done
for unit in baodao-sync-server baodao-kiosk baodao-kiosk-headless; do
  out=$(systemd-analyze verify "/usr/lib/systemd/system/$unit.service" 2>&1 | grep -v -e 'getty@tty1' -e 'plymouth' || true)
  [ -z "$out" ] || fail "systemd-analyze verify $unit: $out"
done
baodao-kiosk --version
baodao-sync-server --version

# The installed programs together: the office registers a kiosk and makes
# an enrolment code; the kiosk enrols as root (the token becomes the
# kiosk user's), then runs as its own user and its heartbeat arrives.
server() { "${as_root[@]}" runuser -u baodao -- env BAODAO_CONFIG=/etc/baodao/server.toml baodao-sync-server "$@"; }
server kiosks register --data-dir /var/lib/baodao --name 門口 --community C01 >/dev/null
code=$(server kiosks enrol-code --data-dir /var/lib/baodao --kiosk K0001 | tail -n 1)
"${as_root[@]}" runuser -u baodao -- env BAODAO_CONFIG=/etc/baodao/server.toml RUST_LOG=info \
  baodao-sync-server serve --data-dir /var/lib/baodao --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
serving=$!
addr=""
for _ in $(seq 1 100); do
  addr=$(grep -o 'addr=[0-9.:]*' "$work/server.log" | head -n 1 | cut -d= -f2 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/server.log" >&2; fail "the installed server did not start"; }
"${as_root[@]}" baodao-kiosk enroll --server "http://$addr" --code "$code" | tee "$work/enroll.txt"
grep -q 'token written to /var/lib/baodao-kiosk/token' "$work/enroll.txt" || fail "enroll said: $(cat "$work/enroll.txt")"
[ "$(stat -c '%U %a' /var/lib/baodao-kiosk/token)" = "baodao-kiosk 600" ] || fail "the token is $(stat -c '%U %a' /var/lib/baodao-kiosk/token)"
"${as_root[@]}" runuser -u baodao-kiosk -- env BAODAO_SERVER_URL="http://$addr" BAODAO_CAMERA=none RUST_LOG=warn \
  timeout 60 baodao-kiosk --headless </dev/null >/dev/null 2>"$work/kiosk.log" &
kiosk=$!
alive=""
for _ in $(seq 1 100); do
  alive=$(server kiosks list --data-dir /var/lib/baodao | grep -P '^K0001\t.*\talive\t' || true)
  [ -n "$alive" ] && break
  sleep 0.3
done
"${as_root[@]}" kill "$kiosk" 2>/dev/null || true
"${as_root[@]}" kill "$serving" 2>/dev/null || true
wait "$kiosk" "$serving" 2>/dev/null || true
[ -n "$alive" ] || { cat "$work/kiosk.log" >&2; fail "no heartbeat from the installed kiosk"; }
echo "kiosks list: $alive"

# Removed: the programs go, the settings stay; purged: the settings go.
"${as_root[@]}" dpkg -r baodao-kiosk baodao-sync-server
[ ! -e /usr/bin/baodao-kiosk ] && [ ! -e /usr/bin/baodao-sync-server ] || fail "dpkg -r left the programs"
[ -f /etc/baodao/kiosk.toml ] || fail "dpkg -r removed the kiosk's settings"
"${as_root[@]}" dpkg -P baodao-kiosk baodao-sync-server
[ ! -e /etc/baodao/kiosk.toml ] && [ ! -e /etc/baodao/server.toml ] || fail "dpkg -P left the settings"
dpkg -s baodao-kiosk >/dev/null 2>&1 && fail "baodao-kiosk is still known to dpkg"
# The data (check-ins not yet uploaded, the office's database) is never
# deleted by a package: docs/deploy.md says how to remove it by hand.
"${as_root[@]}" rm -rf /var/lib/baodao /var/lib/baodao-kiosk
echo "package: both packages built, checked, installed, run, removed and purged"
