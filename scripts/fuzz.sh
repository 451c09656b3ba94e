#!/usr/bin/env bash
# Runs every fuzz target (cargo fuzz, libFuzzer) for a bounded time each:
# card parsing and verification, batch JSON into ingest on a scratch store,
# CSV imports, QR decoding of arbitrary frames. A crash fails the run and
# leaves its input in fuzz/artifacts/TARGET/ (make it a regression test).
#   scripts/fuzz.sh            # 60 s a target
#   FUZZ_SECONDS=600 scripts/fuzz.sh card
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${FUZZ_SECONDS:-60}
# cargo fuzz needs nightly flags; this stable toolchain allows them so.
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
target_dir=${FUZZ_TARGET_DIR:-target}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(card batch csv_import qr)
cargo fuzz build -O --target-dir "$target_dir"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "seeds/$target"
  echo "fuzz: $target for ${seconds}s"
  status=0
  cargo fuzz run -O --target-dir "$target_dir" "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|Done [0-9]+ runs' "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz: $target failed (exit $status); inputs in fuzz/artifacts/$target" >&2
    exit 1
  fi
done
echo "fuzz: no crash in ${#targets[@]} target(s), ${seconds}s each"
