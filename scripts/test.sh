#!/usr/bin/env bash
# Runs every test of the workspace (unit, property, end-to-end, CLI), the
# storage conformance suite on both SQLite and PostgreSQL included: a
# throwaway PostgreSQL cluster is started for the run (scripts/with-
# postgres.sh) unless BAODAO_TEST_DATABASE_URL names one already.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/with-postgres.sh cargo test --workspace --locked "$@"
