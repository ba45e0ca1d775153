#!/usr/bin/env bash
# CI check of the Debian package (root, Debian host): build the .deb, run lintian
# if installed (findings are printed, not fatal), install it with dpkg -i, run
# the installed programs, verify the systemd unit, purge, and check that nothing
# the package installed or made is left (and that Heartbeat's diverted
# hb_standby/hb_takeover are back). Usage: scripts/deb-check.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "deb-check: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "deb-check: skipped (not root)"; exit 0; }
command -v dpkg-deb >/dev/null || { echo "deb-check: skipped (no dpkg-deb)"; exit 0; }
if dpkg -s tandem >/dev/null 2>&1; then fail "a tandem package is already installed here"; fi

work=$(mktemp -d /tmp/tandem-deb-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
node scripts/package.mjs --out "$work" "$@" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "package build"; }
deb=$(ls "$work"/tandem_*.deb)
echo "deb-check: built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'

if command -v lintian >/dev/null; then
  echo "deb-check: lintian findings (informational):"
  lintian --tag-display-limit 0 "$deb" || true
else
  echo "deb-check: lintian not installed, skipped"
fi

snapshot() { { find /usr /etc /var/lib /var/log /run/tandem -xdev 2>/dev/null || true; } | grep -v -e '^/var/lib/dpkg' -e '^/var/lib/apt' -e '^/var/log/apt' -e '^/var/log/dpkg.log' | sort; }
sums() { for f in /usr/share/heartbeat/hb_standby /usr/share/heartbeat/hb_takeover; do [ -e "$f" ] && md5sum "$f" || true; done; }
snapshot >"$work/before"
sums >"$work/sums-before"

dpkg -i "$deb" || fail "dpkg -i"
dpkg -L tandem | sort >"$work/owned"
echo "deb-check: installed $(wc -l <"$work/owned") paths"

v=$(node -p 'require("./package.json").version')
[ "$(/usr/sbin/hbd --version)" = "$v" ] || fail "hbd --version is not $v"
[ "$(/usr/bin/hbctl --version)" = "$v" ] || fail "hbctl --version is not $v"
# hbd and hbctl start node without NODE_EXTRA_CA_CERTS (src/daemon/ca-env.ts): node warns about a missing file
for cmd in /usr/sbin/hbd /usr/bin/hbctl; do
  err=$(NODE_EXTRA_CA_CERTS=/nonexistent/tandem-ca.pem "$cmd" --version 2>&1 >/dev/null)
  [ -z "$err" ] || fail "$cmd passed NODE_EXTRA_CA_CERTS on to node: $err"
done
/usr/sbin/hb-director --help >/dev/null || fail "hb-director --help"
/usr/bin/hb_standby --help >/dev/null 2>&1 || true
grep -q /usr/lib/tandem /usr/share/heartbeat/hb_standby || fail "/usr/share/heartbeat/hb_standby is not Tandem's"
etc="$work/etc"
cp -r /usr/share/doc/tandem/examples/heartbeat-lvs-dr "$etc"
chmod 600 "$etc/authkeys"
node=$(awk '$1=="node"{print $2; exit}' "$etc/ha.cf")
/usr/sbin/hbd --check --config-dir "$etc" --node "$node" || fail "installed hbd --check on the shipped example"
for m in hbd.8 hbctl.8 hb-director.8 tandem-ha.cf.5; do
  f=/usr/share/man/man${m##*.}/$m.gz
  [ -s "$f" ] || fail "no man page $f"
  if command -v man >/dev/null; then MANWIDTH=80 man -l "$f" >/dev/null 2>"$work/man.err"; [ ! -s "$work/man.err" ] || { cat "$work/man.err"; fail "man $m warns"; }; fi
done
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /lib/systemd/system/hbd.service || fail "systemd-analyze verify hbd.service"
  echo "deb-check: systemd-analyze verify hbd.service: ok"
else
  echo "deb-check: systemd-analyze not installed, unit not verified"
fi

dpkg --purge tandem || fail "dpkg --purge"
snapshot >"$work/after"
sums >"$work/sums-after"
# Heartbeat's own hb_standby/hb_takeover come back at these paths (checked by checksum below)
restored=$(awk '{print $2}' "$work/sums-before")
left=$(while read -r p; do [ -e "$p" ] && [ ! -d "$p" ] && ! grep -qxF "$p" <<<"$restored" && echo "$p"; done <"$work/owned" || true)
[ -z "$left" ] || fail "files left after purge: $left"
for d in /usr/lib/tandem /var/lib/tandem /var/log/tandem /run/tandem /usr/share/doc/tandem; do
  [ ! -e "$d" ] || fail "$d left after purge"
done
[ -z "$(dpkg-divert --list tandem)" ] || fail "diversions left: $(dpkg-divert --list tandem)"
cmp -s "$work/sums-before" "$work/sums-after" || fail "Heartbeat's hb_standby/hb_takeover not restored"
new=$(comm -13 "$work/before" "$work/after")
if [ -n "$new" ]; then
  echo "deb-check: paths that appeared meanwhile (other processes?):"
  echo "$new"
  if echo "$new" | grep -q -e tandem -e hbd -e hbctl; then fail "Tandem paths left after purge"; fi
fi
echo "deb-check: ok (installed, ran, verified and purged without leftovers)"
