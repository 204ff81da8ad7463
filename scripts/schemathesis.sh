#!/usr/bin/env bash
# Runs schemathesis (every check) against a fresh `sitrep serve` on loopback.
# Usage: scripts/schemathesis.sh [path/to/sitrep] [max examples per operation]
# Needs `pip install schemathesis`. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/sitrep}
examples=${2:-50}
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; [ -n "${KEEP_LOG:-}" ] && cp "$work/serve.log" "$KEEP_LOG"; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=$("$bin" token create --role commander --name schemathesis --db "$work/st.db")
SITREP_LOG=info "$bin" serve --db "$work/st.db" --listen "127.0.0.1:$port" 2>"$work/serve.log" &
pid=$!
# The token goes through the environment, not the command line (process listings).
export SCHEMATHESIS_TOKEN=$token
st --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --checks all --max-examples "$examples" --seed 7 --wait-for-schema 10 --no-color
# Guard against a vacuous pass: the run must have made changes, not just collected 401s.
created=$(grep -c 'status=201' "$work/serve.log" || true)
if [ "$created" -lt 10 ]; then
  echo "schemathesis made only $created successful writes: is the token reaching the server?"; exit 1
fi
echo "server answered $created creates"
if grep -q "ERROR" "$work/serve.log"; then
  echo "the server logged errors:"; grep "ERROR" "$work/serve.log"; exit 1
fi
