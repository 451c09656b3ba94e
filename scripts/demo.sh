#!/usr/bin/env bash
# The demo: a sync server on http://127.0.0.1:8420 with demo members, an
# activity open now, a registered kiosk and printable cards in demo-data/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo build --locked --release -p baodao-sync-server
server=target/release/baodao-sync-server
data=demo-data
mkdir -p "$data/cards"

"$server" members import --data-dir "$data" assets/demo/members.csv
now=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
{
  echo "activity_id,title,kind,community,starts_at,ends_at"
  echo "DEMO-NOW,黨員固定活動日：社區環境衛生整治,activity_day,C01,$(iso $((now - 1800))),$(iso $((now + 3 * 3600)))"
  echo "DEMO-NEXT,政策宣講：基層治理新規解讀,policy_talk,C01,$(iso $((now + 86400))),$(iso $((now + 86400 + 7200)))"
} > "$data/activities.csv"
"$server" activities import --data-dir "$data" "$data/activities.csv"
if [ ! -s "$data/kiosk-token" ]; then
  "$server" kiosks register --data-dir "$data" --name "東湖社區服務中心 demo kiosk" --community C01 | tail -n 1 > "$data/kiosk-token"
  chmod 600 "$data/kiosk-token"
fi
for id in $(tail -n +2 assets/demo/members.csv | cut -d, -f1); do
  [ -f "$data/cards/$id.png" ] || "$server" cards issue --data-dir "$data" --member "$id" --out "$data/cards/$id.png"
done

cat <<MSG

Demo data is in $data/: printable cards in $data/cards/, the kiosk token in $data/kiosk-token.
Try, in another terminal:
  curl -s http://127.0.0.1:8420/healthz
  curl -s -H "Authorization: Bearer \$(cat $data/kiosk-token)" http://127.0.0.1:8420/api/v1/sync/snapshot | head -c 600
  $server points --data-dir $data --year $(date +%Y)
Serving until Ctrl-C.
MSG
exec "$server" serve --data-dir "$data" --listen 127.0.0.1:8420
