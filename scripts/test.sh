#!/usr/bin/env bash
# `npm test`: installs what the tests need, then runs every tier and prints one summary.
#   unit    vitest, pure functions, no services
#   db      vitest, real Postgres (DATABASE_URL's server, or an embedded one), a database per file
#   imap    vitest, a private Dovecot started by test/harness on loopback ports
#   servers vitest, the worker's mailbox contract against Dovecot, Cyrus IMAP and Courier IMAP (the last two
#           unpacked from Debian's packages by scripts/install-mail-servers.sh into .cache/mail-servers)
#   corpus  vitest, the real-world mails under ../shared/corpora (or LEOPARD_CORPORA_DIR); skipped, with the
#           reason, when they are not there, unless LEOPARD_REQUIRE_CORPORA=1 (CI sets it)
#   e2e     Playwright driving Debian's chromium against the production build
# Every tier runs even when an earlier one fails; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# 1. System packages: Debian's chromium for e2e, Dovecot for the imap tiers, openssl for its cert.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# The programs the harness runs, not just dovecot-core: `dovecot` alone (left behind when dovecot-imapd
# was removed, e.g. by installing Cyrus) starts but serves no IMAP.
[ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
[ -x /usr/lib/dovecot/pop3 ] || missing+=(dovecot-pop3d)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
for other in cyrus-imapd courier-imap; do
  if [[ " ${missing[*]} " == *" dovecot-imapd "* ]] && [ "$(dpkg-query -W -f='${db:Status-Status}' "$other" 2>/dev/null)" = installed ]; then
    # dovecot-imapd conflicts with it (both provide imap-server): apt would remove it without asking.
    echo "$other is installed here, and installing dovecot-imapd would remove it. Install ${missing[*]} yourself, or run the tests on another machine." >&2
    exit 1
  fi
done
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
rm -f test-results/*.json test-results/*.flaky
status=0

run_tier() {
  local tier=$1
  shift
  say "tier: $tier"
  "$@" || status=1
}

rm -f test-results/*.skipped
run_tier unit npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json
run_tier db npx vitest run --project db --reporter=default --reporter=json --outputFile.json=test-results/db.json
run_tier imap npx vitest run --project imap --reporter=default --reporter=./test/harness/retried-tests-reporter.ts --reporter=json --outputFile.json=test-results/imap.json

# Cyrus IMAP and Courier IMAP conflict with dovecot-imapd, so they are unpacked, never installed. Without
# them the tier fails (the summary says why): it is never skipped.
if bash scripts/install-mail-servers.sh; then
  run_tier servers npx vitest run --project servers --reporter=default --reporter=./test/harness/retried-tests-reporter.ts --reporter=json --outputFile.json=test-results/servers.json
else
  echo "Cyrus IMAP and Courier IMAP could not be unpacked, so the servers tier could not run." >&2
  status=1
fi

corpora="${LEOPARD_CORPORA_DIR:-$(cd .. && pwd)/shared/corpora}"
if [ -d "$corpora" ] || [ "${LEOPARD_REQUIRE_CORPORA:-}" = 1 ]; then
  run_tier corpus npx vitest run --project corpus --reporter=default --reporter=json --outputFile.json=test-results/corpus.json
else
  # A fresh clone has no corpora: the tier is named as skipped with the reason, not counted as passed.
  say "tier: corpus (skipped)"
  echo "no real-world mail at $corpora (set LEOPARD_CORPORA_DIR)" | tee test-results/corpus.skipped
fi

say "tier: e2e"
if node --import tsx scripts/build-if-stale.ts; then
  npx playwright test -c e2e/playwright.config.ts || status=1
else
  echo "The production build failed, so the e2e tier could not run." >&2
  status=1
fi

node --import tsx scripts/test-summary.ts || status=1
exit $status
