#!/usr/bin/env bash
# Runs docs/nginx/baodao.conf for real: two sync server instances on one
# PostgreSQL behind nginx (TLS with a throwaway certificate). Checks that
# readiness and a batch upload go through, and that with one instance
# stopped every request still does. CI runs it (under scripts/with-
# postgres.sh, which provides BAODAO_TEST_DATABASE_URL); needs nginx,
# openssl and curl (scripts/deps.sh ci installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BAODAO_TEST_DATABASE_URL:?run under scripts/with-postgres.sh}"

target=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p baodao-sync-server
server="$target/debug/baodao-sync-server"

dir=$(mktemp -d)
pids=()
cleanup() {
  [ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "nginx-check: FAILED: $*" >&2; for f in "$dir"/*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done; exit 1; }

db="baodao_nginx_$$"
psql -q "$BAODAO_TEST_DATABASE_URL" -c "CREATE DATABASE $db"
url="${BAODAO_TEST_DATABASE_URL%/*}/$db"
mkdir -p "$dir/data"
printf 'behind_proxy = true\n' > "$dir/data/server.toml"
export BAODAO_DATABASE_URL="$url"
token=$("$server" kiosks register --data-dir "$dir/data" --name "nginx check" --community C01 | tail -n 1)

# A port the kernel says is free now (a random guess once collided with
# another process's port).
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
p1=$(port); p2=$(port); pn=$(port)
start() {
  "$server" serve --data-dir "$dir/data" --listen "127.0.0.1:$1" >"$dir/instance-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    sleep 0.1
  done
  fail "instance on port $1 did not become ready"
}
start "$p1"; first=${pids[-1]}
start "$p2"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=baodao.city.example" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
sed -e "s|127.0.0.1:8421|127.0.0.1:$p1|; s|127.0.0.1:8422|127.0.0.1:$p2|" \
    -e "s|listen 443 ssl;|listen 127.0.0.1:$pn ssl;|" \
    -e "s|/etc/letsencrypt/live/baodao.city.example/fullchain.pem|$dir/cert.pem|" \
    -e "s|/etc/letsencrypt/live/baodao.city.example/privkey.pem|$dir/key.pem|" \
    docs/nginx/baodao.conf > "$dir/baodao.conf"
cat > "$dir/nginx.conf" <<CONF
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
events {}
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    include $dir/baodao.conf;
}
CONF
nginx -t -q -p "$dir" -c "$dir/nginx.conf" 2>"$dir/nginx-test.log" || fail "nginx -t refused the configuration"
nginx -p "$dir" -c "$dir/nginx.conf" || fail "nginx did not start"

curl_tls() { curl -s --cacert "$dir/cert.pem" --resolve "baodao.city.example:$pn:127.0.0.1" "$@"; }
base="https://baodao.city.example:$pn"
for _ in $(seq 1 50); do curl_tls -o /dev/null "$base/readyz" && break; sleep 0.1; done
ready=$(curl_tls -w '%{http_code}' -o "$dir/ready.json" "$base/readyz")
[ "$ready" = 200 ] || fail "/readyz through nginx answered $ready"
grep -q '"database":"postgres"' "$dir/ready.json" || fail "/readyz does not name postgres: $(cat "$dir/ready.json")"

post() {
  local id batch
  id=$(cat /proc/sys/kernel/random/uuid)
  batch="{\"batch_id\":\"$id\",\"sent_at\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"records\":[{\"record_id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"member_id\":\"M001\",\"activity_id\":\"A1\",\"scanned_at\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"method\":\"manual\"}],\"voids\":[]}"
  curl_tls -w '%{http_code}' -o "$dir/receipt.json" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' --data "$batch" "$base/api/v1/attendance/batches"
}
code=$(post); [ "$code" = 200 ] || fail "a batch through nginx answered $code"
grep -q '"records"' "$dir/receipt.json" || fail "no receipt: $(cat "$dir/receipt.json")"

# One instance goes away; nginx sends everything to the other.
kill -TERM "$first"; wait "$first" || true
for i in $(seq 1 20); do
  code=$(post); [ "$code" = 200 ] || fail "request $i with one instance stopped answered $code"
done
echo "nginx-check: ok (2 instances on PostgreSQL behind nginx; 21 batches through, 20 with one instance stopped)"
