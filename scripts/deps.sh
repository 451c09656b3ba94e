#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the build, the tests and (with
# `demo`) the kiosk window need, once. Idempotent.
set -euo pipefail

packages=(
  gcc libc6-dev     # C parts of crates (bundled SQLite)
  libclang1-14      # bindgen, for the camera crate (V4L2 bindings)
  ca-certificates   # the kiosk's HTTPS client reads the system's roots
  postgresql        # the tests' throwaway cluster (scripts/with-postgres.sh)
  chromium chromium-driver  # the console's browser tests (WebDriver)
  poppler-utils     # pdftoppm: the browser tests render printed PDFs
  systemd           # systemd-analyze: the units are verified as systemd reads them
)
if [ "${1:-}" = "ci" ]; then
  # cargo fuzz (libFuzzer is C++), schemathesis' helper script, and the
  # nginx check of docs/nginx/baodao.conf.
  packages+=(g++ curl python3-pip nginx openssl)
fi
if [ "${1:-}" = "demo" ]; then
  # What the window opens at run time: X11/Wayland, keyboard, OpenGL (Mesa).
  packages+=(libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon0 libxkbcommon-x11-0
             libwayland-client0 libwayland-egl1 libgl1 libegl1 libgl1-mesa-dri)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "deps: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
