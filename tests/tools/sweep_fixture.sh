# Sourced by the sweep tests: helpers for a 32-point grid of Llama-3-8B on one DGX H100.

# write_sweep_grid DIR: DIR/base.json (two strategies) and DIR/grid.json (4 x 4 x 2 points).
write_sweep_grid() {
  cat > "$1/base.json" <<'JSON'
{"name": "base", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",
 "training": {"seq_len": 2048, "global_batch": 16},
 "strategies": [{"name": "tp", "tp": 2, "dp": 4}, {"name": "dp", "dp": 8, "micro_batch": 2}]}
JSON
  cat > "$1/grid.json" <<'JSON'
{"base": "base.json", "axes": {"training.seq_len": [512, 1024, 2048, 4096],
 "training.global_batch": [64, 128, 256, 512], "strategies.1.micro_batch": [1, 2]}}
JSON
}

# wait_for_points JOURNAL N: returns once JOURNAL has N lines (or after 30 s), so that a kill lands mid-run
# whatever the machine's speed.
wait_for_points() {
  for _ in $(seq 1 3000); do
    [ "$(grep -c '' "$1" 2> /dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.01
  done
}

# journal_has_each_point_once JOURNAL N: the journal has N lines, one per point (exit 1 and a message if not).
journal_has_each_point_once() {
  local lines distinct
  lines=$(grep -c '' "$1")
  distinct=$(grep -o '"index":[0-9]*' "$1" | sort -u | wc -l)
  if [ "$lines" -ne "$2" ] || [ "$distinct" -ne "$2" ]; then
    echo "$lines lines, $distinct distinct points after resume ($2 expected)" >&2
    return 1
  fi
}
