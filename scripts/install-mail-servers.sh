#!/usr/bin/env bash
# Unpacks Debian's Cyrus IMAP and Courier IMAP, and the libraries they need that this machine lacks, into
# .cache/mail-servers/root (or LEOPARD_MAIL_SERVERS_DIR/root) for the servers test tier
# (test/harness/cyrus.ts, test/harness/courier.ts). cyrus-imapd, courier-imap and dovecot-imapd conflict
# (each provides imap-server): installing one removes the others, so these two are never installed, only
# fetched with `apt-get download` and unpacked with `dpkg-deb -x`; no maintainer script runs, nothing
# outside the folder changes. Needs apt's package lists (`apt-get update` as root when they are missing).
set -euo pipefail
cd "$(dirname "$0")/.."

dest=${LEOPARD_MAIL_SERVERS_DIR:-.cache/mail-servers}
# gamin: Courier's imapd watches the Maildir through FAM; Debian's courier-imap depends on it.
packages=(cyrus-imapd cyrus-common sasl2-bin courier-imap courier-base courier-authlib courier-authdaemon courier-authlib-userdb gamin)
# Only needed by programs the tests never run (cyr_virusscan, notifyd), and they pull in many more.
skip_libs=' libclamav12 libzephyr4 '
# The programs the harnesses run: each must find every library it links.
binaries=(
  usr/lib/cyrus/bin/master usr/lib/cyrus/bin/imapd usr/lib/cyrus/bin/ctl_cyrusdb usr/sbin/saslpasswd2
  usr/sbin/couriertcpd usr/lib/courier/courier/imaplogin usr/bin/imapd usr/lib/courier/courier-authlib/authdaemond
  usr/lib/courier/courier-authlib/makedatprog usr/libexec/gam_server
)
stamp="$dest/installed"
want="${packages[*]}"

library_path() {
  local root=$1
  echo "$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu:$root/usr/lib:$root/usr/lib/courier-authlib"
}

missing_libraries() {
  local root=$1 b
  for b in "${binaries[@]}"; do
    [ -e "$root/$b" ] || { echo "$b (not unpacked)"; continue; }
    LD_LIBRARY_PATH=$(library_path "$root") ldd "$root/$b" 2>/dev/null | awk -v b="$b" '/not found/ { print b ": " $1 }'
  done
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -z "$(missing_libraries "$(cd "$dest" && pwd)/root")" ]; then
  exit 0
fi

command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || {
  echo "The servers tier needs apt-get and dpkg-deb (Debian or Ubuntu) to fetch Cyrus IMAP and Courier IMAP." >&2
  exit 1
}

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

# Library packages the given packages depend on directly (the first choice of an alternative too) that are
# not installed here. Tools and services they name (an MTA, debconf, adduser) are not needed to run them.
library_deps() {
  apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances "$@" 2>/dev/null |
    sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<>]*\)$/\2/p' | sort -u |
    while read -r dep; do
      case "$dep" in lib*) ;; *) continue ;; esac
      case "$skip_libs" in *" $dep "*) continue ;; esac
      installed "$dep" || echo "$dep"
    done
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt's download sandbox user must be able to write here.
chmod 755 "$work"

if ! apt-cache show cyrus-imapd courier-imap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq; else echo "apt has no package lists: run apt-get update as root." >&2; exit 1; fi
fi

libs1=$(library_deps "${packages[@]}")
# Their own dependencies, one level further (e.g. a library of a library), again only what is missing.
libs2=$([ -n "$libs1" ] && library_deps $libs1 || true)
all=$(printf '%s\n' "${packages[@]}" $libs1 $libs2 | sort -u)
echo "Fetching for the servers tier: $(echo $all)"
(cd "$work" && apt-get download $all >/dev/null) || {
  echo "apt-get download failed for: $(echo $all)" >&2
  exit 1
}

rm -rf "$dest/root.new"
mkdir -p "$dest/root.new"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$dest/root.new"; done
root_abs="$(cd "$dest" && pwd)/root.new"
problems=$(missing_libraries "$root_abs")
if [ -n "$problems" ]; then
  echo "Cyrus/Courier unpacked, but these libraries are still missing:" >&2
  echo "$problems" >&2
  exit 1
fi
rm -rf "$dest/root"
mv "$dest/root.new" "$dest/root"
echo "$want" >"$stamp"
echo "Cyrus IMAP and Courier IMAP unpacked into $dest/root"
