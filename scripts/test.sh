#!/usr/bin/env bash
# `npm test`: installs what the tests need, then runs every tier and prints one summary.
#   unit    vitest, pure functions, no services
#   db      vitest, real Postgres (DATABASE_URL's server, or an embedded one), a database per file
#   imap    vitest, a private Dovecot started by test/harness on loopback ports
#   corpus  vitest, the real-world mails under ../shared/corpora (or LEOPARD_CORPORA_DIR)
#   e2e     Playwright driving Debian's chromium against the production build
# Every tier runs even when an earlier one fails; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# 1. System packages: Debian's chromium for e2e, Dovecot for the imap tiers, openssl for its cert.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}") \
      || { echo "Could not install ${missing[*]} with apt-get." >&2; exit 1; }
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}") \
      || { echo "Could not install ${missing[*]} with sudo apt-get." >&2; exit 1; }
  else
    echo "The tests need these Debian packages: ${missing[*]}. Install them (apt-get install ${missing[*]}) and run again." >&2
    exit 1
  fi
fi

# 2. Node packages (a fresh clone has none; `npm ci` in CI has already installed them).
if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund || exit 1
fi

mkdir -p test-results
rm -f test-results/*.json
status=0

run_tier() {
  local tier=$1
  shift
  say "tier: $tier"
  "$@" || status=1
}

run_tier unit npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json
run_tier db npx vitest run --project db --reporter=default --reporter=json --outputFile.json=test-results/db.json
run_tier imap npx vitest run --project imap --reporter=default --reporter=json --outputFile.json=test-results/imap.json
run_tier corpus npx vitest run --project corpus --reporter=default --reporter=json --outputFile.json=test-results/corpus.json

say "tier: e2e"
if node --import tsx scripts/build-if-stale.ts; then
  npx playwright test -c e2e/playwright.config.ts || status=1
else
  echo "The production build failed, so the e2e tier could not run." >&2
  status=1
fi

node --import tsx scripts/test-summary.ts || status=1
exit $status
