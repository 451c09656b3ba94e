#!/usr/bin/env bash
# The demo: the kiosk full screen with an embedded sync server, demo members
# with Chinese names, an activity open now, and a simulated camera showing
# demo cards (valid ones, a repeat, a forged one, an expired one).
# Extra arguments go to the kiosk: `--windowed`, `--camera auto`, ...
# The staff PIN of the demo is 246810.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh demo
cargo build --locked --release -p baodao-kiosk --features demo
exec "${CARGO_TARGET_DIR:-target}/release/baodao-kiosk" --demo "$@"
