#!/usr/bin/env bash
# Scale-out benchmarks (ingest on SQLite and PostgreSQL with 1 and 2
# instances next to raw INSERT and COPY; points for 1M and 10M records; a
# city kiosk's snapshot) on a throwaway PostgreSQL started for the run with
# production durability: fsync and synchronous_commit on. The settings
# below are the ones docs/scale-out.md recommends for a 24 GiB host.
#
#   bench/scale.sh                 everything (about 15 minutes here)
#   BENCH_PART=ingest bench/scale.sh
#   BENCH_SMALL=1 bench/scale.sh   every size a tenth
set -euo pipefail
cd "$(dirname "$0")/.."
unset BAODAO_TEST_DATABASE_URL
export PG_DURABLE=1
export PG_EXTRA="-c shared_buffers=2GB -c work_mem=64MB -c maintenance_work_mem=1GB -c max_wal_size=8GB -c effective_cache_size=12GB"
exec scripts/with-postgres.sh cargo bench --locked -p baodao-sync-server --bench scale
