#!/usr/bin/env bash
# `npm start`: installs npm packages if needed, builds, makes sure Prometheus is there, and runs the main
# job: `tidescale up` (the whole autoscaling path live on loopback, about three minutes; Ctrl-C stops it).
# Flags go through: `npm start -- --exit`. The simulation replay is `tidescale simulate examples/seed-qps.yaml`.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-fund --no-audit >/dev/null
npx tsc -p tsconfig.json
if ! command -v prometheus >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    # Debian starts the packaged service on install; stop it again if it was not running before
    # (tidescale up starts its own Prometheus on loopback).
    was_active=no
    if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then was_active=yes; fi
    echo "start: apt-get install --no-install-recommends prometheus (tidescale up needs it)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null; }
    if [[ $was_active == no ]] && command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
      echo "start: stopping service prometheus (started by its package install just now)"
      systemctl stop prometheus || true
    fi
  else
    echo "error: start: prometheus is not installed: run 'sudo apt-get install prometheus' (Debian/Ubuntu), or 'npm start -- --prometheus-url URL' with a Prometheus you run (see docs/up.md)" >&2
    exit 1
  fi
fi
exec node dist/cli/main.js up "$@"
