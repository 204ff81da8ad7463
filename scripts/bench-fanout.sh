#!/usr/bin/env bash
# Write throughput and event fan-out for SQLite and PostgreSQL (one and two replicas).
# Loopback only; each run is bounded by --seconds. Full length by default; CI passes
# shorter settings, e.g.: scripts/bench-fanout.sh --subscribers 50 --seconds 5 --throughput-seconds 2
# Exits non-zero if any subscriber misses, repeats or reorders an event.
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--subscribers 200 --rate 50 --seconds 60 --throughput-seconds 10)
cargo bench --bench fanout --no-run -q
echo "| store | replicas | writes/s (16 writers) | subscribers | writes ok | complete | in order | p50 ms | p99 ms | max ms |"
echo "|---|---|---|---|---|---|---|---|---|---|"
cargo bench -q --bench fanout -- --backend sqlite --replicas 1 "${args[@]}"
cargo bench -q --bench fanout -- --backend postgres --replicas 1 "${args[@]}"
cargo bench -q --bench fanout -- --backend postgres --replicas 2 "${args[@]}"
