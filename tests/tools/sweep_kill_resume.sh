#!/usr/bin/env bash
# A sweep killed with SIGKILL at a random moment, then resumed, has every point exactly once and the same
# sweep.csv as a sweep that ran undisturbed. Usage: sweep_kill_resume.sh STRATA_BINARY
set -euo pipefail
strata="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
source "$(dirname "$0")/sweep_fixture.sh"
write_sweep_grid "$dir"
"$strata" sweep "$dir/grid.json" -o "$dir/clean" -j 2 > /dev/null
for attempt in 1 2 3; do
  out="$dir/killed-$attempt"
  "$strata" sweep "$dir/grid.json" -o "$out" -j 2 > /dev/null 2>&1 &
  pid=$!
  # Killed once a random number of points (1 to 24) is journaled.
  wait_for_points "$out/sweep.jsonl" $(( (RANDOM % 24) + 1 ))
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  before=$( [ -f "$out/sweep.jsonl" ] && grep -c '' "$out/sweep.jsonl" || echo 0)
  "$strata" sweep "$dir/grid.json" -o "$out" --resume -j 2 > /dev/null
  journal_has_each_point_once "$out/sweep.jsonl" 32 || { echo "attempt $attempt" >&2; exit 1; }
  cmp "$dir/clean/sweep.csv" "$out/sweep.csv"
  echo "attempt $attempt: killed with $before points journaled; resumed to 32 points, csv identical"
done
