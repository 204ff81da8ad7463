#!/usr/bin/env bash
# Installs what the test suites need and this machine lacks (as root; .ci/run runs it in the
# background while fmt and clippy build). Every check that needs one of these fails, rather
# than skips, when CI is set and it is missing.
#
# - postgresql: the store contract tests start their own server from initdb/pg_ctl.
# - faketime: countdowns run on the server's clock (tests/clock_pty.rs, tests/evidence.rs).
# - chromium: the status page's browser test (tests/status_browser.rs).
# - prometheus: a real Prometheus scrapes `sitrep serve` (tests/prometheus.rs starts its own;
#   the package's service is not wanted).
# - age: encrypted backups are decrypted by the real age CLI (tests/backups.rs).
# - webhook (adnanh/webhook) and PyPI standardwebhooks: webhook receivers that check
#   sitrep's signatures (tests/webhooks.rs).
# - Stoplight Prism from npm: PagerDuty's official OpenAPI document judges every request
#   the PagerDuty backend makes (tests/pagerduty_prism.rs).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
for tool in faketime chromium prometheus age webhook; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -x /opt/prism/node_modules/.bin/prism ] || command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  # One transaction for all: a single dependency resolution and unpack.
  apt-get install -y -qq "${missing[@]}" >/dev/null
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    service prometheus stop >/dev/null 2>&1 || true
  fi
fi
python3 -c 'import standardwebhooks' 2>/dev/null || python3 -m pip install -q standardwebhooks
if [ ! -x /opt/prism/node_modules/.bin/prism ]; then
  npm install --prefix /opt/prism --no-audit --no-fund --loglevel=error @stoplight/prism-cli >/dev/null
fi
command -v runuser >/dev/null || { echo "runuser (util-linux) is needed to run PostgreSQL as non-root"; exit 1; }
echo "test dependencies ready"
