#!/usr/bin/env bash
# The kiosk window, measured: start to first camera frame on screen, steady
# RSS, CPU while scanning at 30 fps, frame-arrival → overlay latency. The
# peer, in the same run: the same core headless (camera, decoding, sync; no
# window), so the window's own cost shows.
#
#   bench/ui.sh [seconds]           needs Xvfb when there is no display;
#                                   90 s by default: steady state, after the
#                                   window's first minute, when it hands back
#                                   freed memory
#   BASELINE_BIN=path bench/ui.sh   adds that build's window to the run:
#                                   before and after, on the same machine
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-90}
cargo build --locked --release -p baodao-kiosk --features demo >&2
bin=${CARGO_TARGET_DIR:-target}/release/baodao-kiosk
if [ -z "${DISPLAY:-}" ]; then
  command -v Xvfb >/dev/null || { echo "needs a display or Xvfb (apt-get install xvfb libgl1-mesa-dri)" >&2; exit 1; }
  Xvfb :97 -screen 0 1280x800x24 >/dev/null 2>&1 &
  xvfb=$!
  trap 'kill $xvfb 2>/dev/null' EXIT
  export DISPLAY=:97
  sleep 1
fi

measure() { # name, command...
  local name=$1; shift
  local log; log=$(mktemp)
  RUST_LOG=info,baodao_kiosk::latency=debug "$@" >/dev/null 2>"$log" &
  local pid=$!
  sleep 10
  local t0 c0; t0=$(date +%s.%N); c0=$(awk '{print $14+$15}' /proc/$pid/stat)
  sleep $((secs - 10))
  local t1 c1; t1=$(date +%s.%N); c1=$(awk '{print $14+$15}' /proc/$pid/stat)
  local rss; rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true
  python3 - "$name" "$log" "$t0" "$t1" "$c0" "$c1" "$rss" "$(getconf CLK_TCK)" <<'PY'
import datetime, re, sys
name, log, t0, t1, c0, c1, rss, tck = sys.argv[1:]
text = open(log).read()
cpu = (float(c1) - float(c0)) / float(tck) / (float(t1) - float(t0)) * 100
# Preview frames shown while CPU was measured, from the log's own clock.
def at(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
shown = [at(s) for s in re.findall(r"^(\S+)\s+DEBUG baodao_kiosk::latency: preview shown", text, re.M)]
shown = [t for t in shown if float(t0) <= t <= float(t1)]
fps = f"{len(shown) / (float(t1) - float(t0)):.1f}" if shown else "-"
first = re.findall(r"first camera frame on screen ms=(\d+)", text)
lat = sorted(float(x) for x in re.findall(r"overlay_ms=([0-9.]+)", text))
pct = lambda p: lat[min(len(lat) - 1, round((len(lat) - 1) * p))] if lat else float("nan")
print(f"| {name} | {first[0] + ' ms' if first else '-'} | {int(rss) / 1024:.0f} MB | {cpu:.0f}% | {fps} | "
      + (f"{pct(0.5):.1f} / {pct(0.95):.1f} ms ({len(lat)} overlays)" if lat else "-") + " |")
PY
  rm -f "$log"
}

echo "| run | start → first frame on screen | steady RSS | CPU (of one core) | preview fps | frame → overlay median / p95 |"
echo "|---|---:|---:|---:|---:|---:|"
if [ -n "${BASELINE_BIN:-}" ]; then
  measure "baseline window: $BASELINE_BIN" "$BASELINE_BIN" --demo --windowed
fi
measure "window: --demo --windowed (simulated camera, 30 fps)" "$bin" --demo --windowed
measure "peer: --demo --headless (same core, no window)" "$bin" --demo --headless
