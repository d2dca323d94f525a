#!/usr/bin/env bash
# `npm run bench [name...]`: runs every benchmark under bench/<name>/run.ts (or only the named ones).
# Each benchmark prints its own results; record medians with date and machine in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
names=("$@")
if ((${#names[@]} == 0)); then
  for d in bench/*/; do [[ -f "$d/run.ts" ]] && names+=("$(basename "$d")"); done
fi
for n in "${names[@]}"; do
  echo "== bench/$n"
  npx tsx "bench/$n/run.ts"
done
