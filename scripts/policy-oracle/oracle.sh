#!/usr/bin/env bash
# oracle.sh [--all] [--scores] [--raw] CIB.xml
# A copy of shared/tools/oracle/oracle.sh that also accepts a transition whose
# blocked actions make crm_simulate's simulated run "fail" (exit 1), and
# whose order lines are well defined when the graph has a loop: its
# normalizer is ./normalize.py, which takes everything else from
# shared/tools/oracle/lib/normalize.py (ORACLE_LIB overrides).
# Runs the real Pacemaker scheduler (crm_simulate, offline, no daemons) on a
# CIB that contains a <status> section and prints a normalized summary.
# See README.md in this folder for the output format.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; LIB="${ORACLE_LIB:-$HERE/../../../shared/tools/oracle/lib}"
# Fixed "now" so failure-timeout and date rules are reproducible.
NOW="${ORACLE_NOW:-2024-01-01T00:00:00Z}"
ALL=""; SCORES=""; RAW=""
while [ $# -gt 1 ]; do
  case "$1" in
    --all) ALL="--all" ;;
    --scores) SCORES="--scores" ;;
    --raw) RAW=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
CIB="${1:?usage: oracle.sh [--all] [--scores] [--raw] CIB.xml}"
command -v crm_simulate >/dev/null || {
  echo "crm_simulate not found: apt-get install pacemaker pacemaker-cli-utils" >&2; exit 3; }
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
cp "$CIB" "$TMP/in.xml"
# -S: compute the transition and simulate executing it (all actions succeed)
# -s: allocation scores; -G: transition graph; -O: resulting CIB
# A transition with blocked actions "fails" in the simulated run (rc 1,
# "Transition failed: terminated"): that is still Pacemaker's decision.
rc=0
crm_simulate -x "$TMP/in.xml" -S -s -t "$NOW" --output-as=xml \
  -G "$TMP/graph.xml" -O "$TMP/out.xml" >"$TMP/sim.xml" 2>"$TMP/err" || rc=$?
if [ "$rc" -ne 0 ] && ! grep -q "Transition failed: terminated" "$TMP/sim.xml"; then
  echo "crm_simulate failed:" >&2; cat "$TMP/err" >&2; exit 4
fi
if [ -n "$RAW" ]; then
  crm_simulate -x "$TMP/in.xml" -S -s -t "$NOW" 2>&1; exit 0
fi
# Second pass on the simulated result: does the cluster want to do more?
crm_simulate -x "$TMP/out.xml" -R -t "$NOW" --output-as=xml >"$TMP/rerun.xml" 2>/dev/null || true
[ -s "$TMP/graph.xml" ] || echo '<transition_graph/>' >"$TMP/graph.xml"
ORACLE_LIB="$LIB" python3 "$HERE/normalize.py" --sim "$TMP/sim.xml" --graph "$TMP/graph.xml" \
  --rerun "$TMP/rerun.xml" --name "$(basename "$CIB" .xml)" $ALL $SCORES
