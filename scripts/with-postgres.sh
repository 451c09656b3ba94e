#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL: a cluster of its own in a
# temporary directory (initdb as an unprivileged user), on a free port of
# 127.0.0.1, torn down when the command ends. Its URL is exported as
# BAODAO_TEST_DATABASE_URL. When that variable is already set, the
# command runs against it and nothing is started.
#
#   scripts/with-postgres.sh cargo test --workspace
#   PG_DURABLE=1 scripts/with-postgres.sh bench/...   (fsync on, for benchmarks)
#   PG_EXTRA="-c shared_buffers=2GB" ...                (more server settings)
set -euo pipefail

if [ -n "${BAODAO_TEST_DATABASE_URL:-}" ]; then
  exec "$@"
fi

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: no PostgreSQL server here; scripts/deps.sh installs it (apt-get install postgresql)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/baodao-pg.XXXXXX")
chmod 755 "$dir"
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses root: the cluster belongs to the postgres user, who must
  # be able to reach the directory.
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  chown postgres: "$dir"
  chmod o+x "$(dirname "$dir")"
  as_owner=(runuser -u postgres --)
fi

stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U baodao --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }

if [ "${PG_DURABLE:-0}" = "1" ]; then
  durability="-c fsync=on -c synchronous_commit=on"
else
  # Tests need correctness, not crash safety of the throwaway cluster.
  durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi

started=""
for _ in $(seq 1 20); do
  port=$((20000 + RANDOM % 30000))
  if "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -w -t 30 -l "$dir/server.log" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 $durability ${PG_EXTRA:-}" \
      start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [ -z "$started" ]; then
  echo "with-postgres: the cluster did not start:" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi

export BAODAO_TEST_DATABASE_URL="postgres://baodao@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $BAODAO_TEST_DATABASE_URL" >&2
"$@"
