#!/usr/bin/env bash
# Renders Strata's HTML pages in headless Chromium, as a person opening them would, and checks:
# - the page logs nothing to the console (no script error);
# - in the DOM the browser built, every chart (<svg>) has drawn marks and a legend (12 x 12 swatches);
# - the screenshot has the size asked for, more than 3% of its pixels drawn (not the page background) and at
#   least 8 colours (the charts' series and categories).
# Pages: every example scenario's report.html (strata run) and a small sweep's sweep.html. The screenshots
# stay in ARTIFACT_DIR. Skipped (exit 77) where Chromium is absent.
# Usage: html_in_browser.sh STRATA_BINARY PNG_INK_BINARY SOURCE_DIR ARTIFACT_DIR
set -euo pipefail
strata="$1"
png_ink="$2"
source_dir="$3"
artifacts="$4"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "skipped: Chromium is not installed (tools/bootstrap installs it)"
  exit 77
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$artifacts"
cat > "$dir/base.json" <<'JSON'
{"name": "base", "cluster": {"system": "dgx-h100", "nodes": 1}, "model": "llama3-8b",
 "training": {"seq_len": 2048, "global_batch": 64},
 "search": {"tp": [1, 2], "pp": [1], "micro_batch": [1], "schedule": ["1f1b"], "recompute": ["none"],
            "zero": [1]}}
JSON
cat > "$dir/grid.json" <<'JSON'
{"base": "base.json", "axes": {"cluster.nodes": [1, 2, 4], "cluster.system": ["dgx-a100", "dgx-h100"]}}
JSON
pages=()
"$strata" sweep "$dir/grid.json" -o "$dir/sweep" > /dev/null
pages+=("$dir/sweep/sweep.html")
for example in "$source_dir"/scenarios/examples/*.json; do
  name=$(basename "$example" .json)
  if grep -q '"search"' "$example"; then
    "$strata" search "$example" --top 5 -o "$dir/$name" > /dev/null
  else
    "$strata" run "$example" -o "$dir/$name" > /dev/null
  fi
  pages+=("$dir/$name/report.html")
done
# Flags as the machine notes advise for a closed network (no background connections, no sandbox as root).
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$dir/profile")
for page in "${pages[@]}"; do
  label="$(basename "$(dirname "$page")")-$(basename "$page" .html)"
  timeout 120 "$browser" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$page" \
    > "$dir/dom.html" 2> "$dir/console.log" || { cat "$dir/console.log" >&2; exit 1; }
  if grep -q ":CONSOLE" "$dir/console.log"; then
    grep ":CONSOLE" "$dir/console.log" >&2
    echo "$label: the page logged to the console" >&2
    exit 1
  fi
  charts=$(grep -o '<svg' "$dir/dom.html" | wc -l)
  bad=$(awk 'BEGIN { RS = "<svg"; bad = 0 }
             NR > 1 { chart = substr($0, 1, index($0, "</svg>"))
                      if (chart !~ /<(rect|circle|line)/ || chart !~ /width="12(\.0)?" height="12(\.0)?"/) bad++ }
             END { print bad }' "$dir/dom.html")
  if [ "$charts" -lt 1 ] || [ "$bad" -ne 0 ]; then
    echo "$label: $charts charts, $bad of them without marks or a legend" >&2
    exit 1
  fi
  shot="$artifacts/$label.png"
  timeout 120 "$browser" "${flags[@]}" --window-size=1000,1800 --screenshot="$shot" "file://$page" \
    > "$dir/browser.log" 2>&1 || { cat "$dir/browser.log" >&2; exit 1; }
  read -r width height ink colours < <("$png_ink" "$shot")
  echo "$label: $charts charts with marks and legends, no console output; ${width}x${height}, ${ink} of the pixels drawn, ${colours} colours (screenshot $shot)"
  if [ "$width" -ne 1000 ] || [ "$height" -ne 1800 ]; then
    echo "$label: screenshot is ${width}x${height}, 1000x1800 expected" >&2
    exit 1
  fi
  if ! awk -v ink="$ink" 'BEGIN { exit !(ink > 0.03) }' || [ "$colours" -lt 8 ]; then
    echo "$label: the screenshot is nearly blank or colourless (ink $ink, $colours colours)" >&2
    exit 1
  fi
done
