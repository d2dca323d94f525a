#!/usr/bin/env bash
# The test command of the README: installs what the tests need, then lint, typecheck, build,
# unit tests, and the end-to-end tests that start real Prometheus / etcd / kube-apiserver on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npx biome ci .
npx tsc -p tsconfig.test.json --noEmit
npx tsc -p tsconfig.json
npx vitest run --project unit
npx vitest run --project e2e
