#!/usr/bin/env bash
# `cmake --install` into a fresh prefix gives a strata that reads the installed profiles, presets and
# validation cases (not the source tree's) and runs an installed example.
# Usage: install_test.sh BUILD_DIR
set -euo pipefail
build="$1"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" > /dev/null
strata="$prefix/bin/strata"
# The unknown-profile message names the directory read: the installed one.
sed 's/"dgx-h100"/"no-such-system"/' "$prefix/share/strata/examples/llama3-70b-h100x64.json" > "$prefix/bad.json"
if "$strata" run "$prefix/bad.json" > /dev/null 2> "$prefix/err"; then
  echo "a scenario with an unknown system ran" >&2
  exit 1
fi
grep -q "$prefix/share/strata/profiles" "$prefix/err" || { cat "$prefix/err" >&2; exit 1; }
"$strata" run "$prefix/share/strata/examples/llama3-70b-h100x64.json" | grep -q "wins by"
# Presets and validation cases from the prefix: a preset removed there is unknown to the installed binary.
rm "$prefix/share/strata/presets/llama3-8b.json"
if "$strata" model show llama3-8b > /dev/null 2>&1; then
  echo "the installed binary read presets outside its prefix" >&2
  exit 1
fi
# Keep one installed validation case: validate with no paths reads exactly that one.
find "$prefix/share/strata/validation" -name '*.json' ! -name 'korthikanti_22B_selective_sp.json' -delete
"$strata" validate --json > "$prefix/validation.json" || true  # exit 4 would be a case outside tolerance
grep -q '"cases": 1,' "$prefix/validation.json" || { head -c 600 "$prefix/validation.json" >&2; exit 1; }
echo "installed into a fresh prefix: profiles, presets, validation cases and examples read from there"
