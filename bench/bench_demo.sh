#!/usr/bin/env bash
# Time `geflecht demo` at a given size into a fresh database and report peak memory.
#   bench/bench_demo.sh 1000000            # SQLite in a temporary data directory
#   GEFLECHT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/geflecht_bench bench/bench_demo.sh 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-100000}
export GEFLECHT_DATA_DIR=${GEFLECHT_DATA_DIR:-$(mktemp -d)}
if [[ "${GEFLECHT_DATABASE_URL:-}" == postgres* ]]; then
  db=${GEFLECHT_DATABASE_URL##*/}
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
fi
.venv/bin/geflecht migrate -v 0
/usr/bin/time -v .venv/bin/geflecht demo --people "$people" 2> "$GEFLECHT_DATA_DIR/time.txt"
grep -E "Elapsed|Maximum resident" "$GEFLECHT_DATA_DIR/time.txt"
ls -l "$GEFLECHT_DATA_DIR"/*.sqlite3 2>/dev/null || true
