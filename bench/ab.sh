#!/bin/bash
# bench/ab.sh OTHER_DIST [N] [CAPTURE]
#
# Interleaved A/B of two builds on one capture: N rounds (default 6) of `ingest -q --workers 1`
# with and without inspection, for OTHER_DIST (another checkout's dist/, e.g. a git worktree of an
# older commit, built) and this checkout's dist/. Prints the CPU seconds (user + system, GNU time)
# of each run, then the median per build and mode. Interleaving spreads a noisy machine's slow
# phases over all four; on a small VM single runs vary by 20 % or more.
set -euo pipefail
other=$(cd "$1" && pwd)
n=${2:-6}
here=$(cd "$(dirname "$0")/.." && pwd)
cap=${3:-$here/bench/out/ixp-mix-1000000-s128.pcap}
db=$(mktemp -d)/ab.duckdb
for i in $(seq 1 "$n"); do
  for d in "$other" "$here/dist"; do
    for mode in inspect no-inspect; do
      flag=(); [ "$mode" = no-inspect ] && flag=(--no-inspect)
      rm -f "$db" "$db.wal"
      t=$( { /usr/bin/time -f '%U %S' node "$d/src/cli/main.js" ingest -q --workers 1 "${flag[@]}" --db "$db" "$cap" >/dev/null; } 2>&1 | tail -1)
      echo "$d $mode $(echo "$t" | awk '{print $1 + $2}')"
    done
  done
done | tee /dev/stderr | sort -k1,2 -k3,3n | awk '{k = $1 " " $2; v[k] = v[k] " " $3; c[k]++} END {for (k in v) {split(substr(v[k], 2), a, " "); m = c[k] % 2 ? a[(c[k] + 1) / 2] : (a[c[k] / 2] + a[c[k] / 2 + 1]) / 2; print "median", k, m}}'
rm -rf "$(dirname "$db")"
