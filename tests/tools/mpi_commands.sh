#!/usr/bin/env bash
# The commands that run on several processes, against one process:
# - `mpirun -n 2 strata sweep`: the same points (sweep.jsonl, order aside), sweep.csv and sweep.html; killed
#   with SIGKILL then resumed under mpirun, no point lost or repeated (a grid of 128 points); a grid that
#   cannot be read fails with exit 2 and one message;
# - `mpirun -n 2 strata search`: the same report (the ranks share the branch-and-bound threshold).
# Usage: mpi_commands.sh STRATA_BINARY MPIEXEC SOURCE_DIR
set -euo pipefail
strata="$1"
mpiexec="$2"
source_dir="$3"
# OpenMPI refuses root without these (CI runs as root); CMA single copy fails in containers without ptrace.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
launch=("$mpiexec" -n 2 --oversubscribe)
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
source "$(dirname "$0")/sweep_fixture.sh"
write_sweep_grid "$dir"
"$strata" sweep "$dir/grid.json" -o "$dir/one" -j 2 > /dev/null
"${launch[@]}" "$strata" sweep "$dir/grid.json" -o "$dir/two" -j 1 > "$dir/two.out"
grep -q "on 2 processes" "$dir/two.out" || { cat "$dir/two.out" >&2; echo "not run on 2 processes" >&2; exit 1; }
cmp <(sort "$dir/one/sweep.jsonl") <(sort "$dir/two/sweep.jsonl")
cmp "$dir/one/sweep.csv" "$dir/two/sweep.csv"
cmp "$dir/one/sweep.html" "$dir/two/sweep.html"
echo "2 processes: the same 32 points, sweep.csv and sweep.html as 1 process"

# A grid four times as large.
sed 's/"axes": {/"axes": {"strategies.0.micro_batch": [1, 2, 4, 8], /' "$dir/grid.json" > "$dir/big.json"
"$strata" sweep "$dir/big.json" -o "$dir/big" -j 2 > /dev/null
out="$dir/killed"
setsid "${launch[@]}" "$strata" sweep "$dir/big.json" -o "$out" -j 1 > /dev/null 2>&1 &
pid=$!
# Killed once a random number of points (1 to 64) is journaled.
wait_for_points "$out/sweep.jsonl" $(( (RANDOM % 64) + 1 ))
kill -9 -- "-$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
sleep 0.5  # let the killed ranks go
before=$( [ -f "$out/sweep.jsonl" ] && grep -c '' "$out/sweep.jsonl" || echo 0)
"${launch[@]}" "$strata" sweep "$dir/big.json" -o "$out" -j 1 --resume > /dev/null
journal_has_each_point_once "$out/sweep.jsonl" 128
cmp "$dir/big/sweep.csv" "$out/sweep.csv"
echo "killed with $before of 128 points journaled; resumed on 2 processes to 128 points, csv identical"

status=0
"${launch[@]}" "$strata" sweep "$dir/no-such-grid.json" -o "$dir/bad" > /dev/null 2> "$dir/bad.err" || status=$?
messages=$(grep -c "strata: error" "$dir/bad.err" || true)
if [ "$status" -ne 2 ] || [ "$messages" -ne 1 ]; then
  cat "$dir/bad.err" >&2
  echo "a missing grid under mpirun: exit $status with $messages messages (exit 2 with 1 message expected)" >&2
  exit 1
fi
echo "a missing grid under mpirun: exit 2, one message"

scenario="$source_dir/tools/bench/search_bench_scenario.json"
"$strata" search "$scenario" --top 3 --json > "$dir/search-one.json"
"${launch[@]}" "$strata" search "$scenario" --top 3 --json -j 1 > "$dir/search-two.json"
cmp "$dir/search-one.json" "$dir/search-two.json"
echo "search on 2 processes: the same report as on 1"
