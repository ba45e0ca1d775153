#!/usr/bin/env bash
# CI check of `npm pack`: the tarball carries the compiled dist/ (prepack builds
# it), and a global install of it from a temporary prefix runs hbd, hbctl and
# hb-director. Dependencies come from npm's cache when present (--prefer-offline).
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "pack-check: FAIL: $*" >&2; exit 1; }
work=$(mktemp -d /tmp/tandem-pack-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
npm pack --pack-destination "$work" >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "npm pack"; }
tgz=$(ls "$work"/*.tgz)
tar -tzf "$tgz" >"$work/list"
grep -q '^package/dist/src/daemon/main.js$' "$work/list" || fail "no dist/src/daemon/main.js in $(basename "$tgz")"
grep -q '^package/dist/src/bin/hbd.cjs$' "$work/list" || fail "no dist/src/bin/hbd.cjs in $(basename "$tgz")"
npm install -g --prefix "$work/prefix" --prefer-offline --no-audit --no-fund "$tgz" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "npm install -g"; }
v=$(node -p 'require("./package.json").version')
[ "$("$work/prefix/bin/hbd" --version)" = "$v" ] || fail "hbd --version"
[ "$("$work/prefix/bin/hbctl" --version)" = "$v" ] || fail "hbctl --version"
"$work/prefix/bin/hb-director" --help >/dev/null || fail "hb-director --help"
"$work/prefix/bin/hbd" --check --config-dir examples/heartbeat-lvs-dr --node "$(awk '$1=="node"{print $2; exit}' examples/heartbeat-lvs-dr/ha.cf)" ||
  fail "globally installed hbd --check"
echo "pack-check: ok ($(basename "$tgz"), global install runs hbd, hbctl, hb-director)"
