#!/usr/bin/env bash
# Runs every test of the workspace (unit, property, end-to-end, CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo test --workspace --locked "$@"
