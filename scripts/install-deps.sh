#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian (bookworm) machine: Debian packages, then npm packages.
# Idempotent: skips what is already there. Run as root (CI and dev machines are).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v etcd >/dev/null || need+=(etcd-server)
command -v go >/dev/null || need+=(golang-go)
command -v rsync >/dev/null || need+=(rsync)
command -v jq >/dev/null || need+=(jq)
command -v wrk >/dev/null || need+=(wrk)
command -v chromium >/dev/null || need+=(chromium)
command -v dpkg-source >/dev/null || need+=(dpkg-dev)
command -v openssl >/dev/null || need+=(openssl)
command -v ip >/dev/null || need+=(iproute2)
command -v curl >/dev/null || need+=(curl)

# apt-get source needs a deb-src line (the Kubernetes control plane for e2e is built from Debian's source).
if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  cat >/etc/apt/sources.list.d/tidescale-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt_updated=no
fi

if ((${#need[@]})) || [[ ${apt_updated:-yes} == no ]]; then
  echo "install-deps: apt-get install ${need[*]:-(sources only)}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  ((${#need[@]})) && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
command -v kubectl >/dev/null || { echo "install-deps: kubectl is missing (the machine image ships it)"; exit 1; }

# The Prometheus package starts a system service; tests start their own on free ports instead.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then systemctl stop prometheus || true; fi

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-fund --no-audit
fi
