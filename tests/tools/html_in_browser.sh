#!/usr/bin/env bash
# Renders Strata's HTML pages in headless Chromium and checks the screenshots: the size asked for, more than
# 3% of the pixels drawn (not the page background) and at least 8 colours (the charts' series and
# categories). Pages: the sweep page of a small sweep (sweep.html) and the report of the example scenario
# (report.html). Skipped (exit 77) where Chromium is absent.
# Usage: html_in_browser.sh STRATA_BINARY PNG_INK_BINARY SOURCE_DIR
set -euo pipefail
strata="$1"
png_ink="$2"
source_dir="$3"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "skipped: Chromium is not installed (tools/bootstrap installs it)"
  exit 77
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cat > "$dir/base.json" <<'JSON'
{"name": "base", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",
 "training": {"seq_len": 2048, "global_batch": 64},
 "strategies": [{"name": "tp2", "tp": 2, "dp": 4}, {"name": "dp8", "dp": 8, "micro_batch": 2}]}
JSON
cat > "$dir/grid.json" <<'JSON'
{"base": "base.json", "axes": {"cluster.nodes": [1, 2, 4], "cluster.system": ["dgx-a100", "dgx-h100"]}}
JSON
"$strata" sweep "$dir/grid.json" -o "$dir/sweep" > /dev/null
"$strata" run "$source_dir/scenarios/examples/llama3-70b-h100x64.json" -o "$dir/run" > /dev/null
# Flags as the machine notes advise for a closed network (no background connections, no sandbox as root).
for page in sweep/sweep.html run/report.html; do
  shot="$dir/$(basename "$page" .html).png"
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$dir/profile" --window-size=1000,1800 --screenshot="$shot" "file://$dir/$page" \
    > "$dir/browser.log" 2>&1 || { cat "$dir/browser.log" >&2; exit 1; }
  read -r width height ink colours < <("$png_ink" "$shot")
  echo "$page: ${width}x${height}, ${ink} of the pixels drawn, ${colours} colours"
  if [ "$width" -ne 1000 ] || [ "$height" -ne 1800 ]; then
    echo "$page: screenshot is ${width}x${height}, 1000x1800 expected" >&2
    exit 1
  fi
  if ! awk -v ink="$ink" 'BEGIN { exit !(ink > 0.03) }' || [ "$colours" -lt 8 ]; then
    echo "$page: the screenshot is nearly blank or colourless (ink $ink, $colours colours)" >&2
    exit 1
  fi
done
