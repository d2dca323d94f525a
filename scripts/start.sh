#!/usr/bin/env bash
# `npm start`: installs npm packages if needed, builds, and runs the main job
# (for now: the bundled seed scenario through the simulator).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-fund --no-audit >/dev/null
npx tsc -p tsconfig.json
node dist/cli/main.js simulate examples/seed-qps.yaml "$@"
