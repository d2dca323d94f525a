#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian (bookworm) machine: Debian packages, then npm packages.
# Idempotent: skips what is already there. Run as root (CI and dev machines are).
#
# Every change to the system is printed on a line starting with "install-deps:": packages installed, the
# APT source added, services stopped. Services are left as they were found: the tests start their own
# Prometheus and etcd on free loopback ports, so a running system service is not touched; a service that a
# package installed here started (Debian starts prometheus and etcd on install) is stopped again.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "install-deps: $*"; }

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
# reflect2 1.0.2: the control-plane build replaces the vendored 1.0.1, which crashes Go >= 1.18 binaries.
[[ -f /usr/share/gocode/src/github.com/modern-go/reflect2/go_above_118.go ]] || need+=(golang-github-modern-go-reflect2-dev)

# Services the packages above may start on install, and whether each was running before.
services=(prometheus etcd)
declare -A was_active=()
service_active() { command -v systemctl >/dev/null && systemctl is-active --quiet "$1" 2>/dev/null; }
for s in "${services[@]}"; do if service_active "$s"; then was_active[$s]=yes; else was_active[$s]=no; fi; done

# apt-get source needs a deb-src line (the Kubernetes control plane for e2e is built from Debian's source).
added_source=no
if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  src_file=/etc/apt/sources.list.d/tidescale-src.sources
  say "adding APT source $src_file (deb-src for bookworm main, used by scripts/control-plane.sh build)"
  cat >"$src_file" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  added_source=yes
fi

if ((${#need[@]})) || [[ $added_source == yes ]]; then
  export DEBIAN_FRONTEND=noninteractive
  say "apt-get update"
  apt-get update -q >/dev/null
  if ((${#need[@]})); then
    say "apt-get install --no-install-recommends ${need[*]}"
    apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  fi
fi
command -v kubectl >/dev/null || { echo "error: install-deps: kubectl is missing (the machine image ships it)" >&2; exit 1; }

for s in "${services[@]}"; do
  if [[ ${was_active[$s]} == no ]] && service_active "$s"; then
    say "stopping service $s (started by its package install just now; it was not running before)"
    systemctl stop "$s" || say "could not stop $s; the tests do not need it stopped (they use free ports)"
  fi
done

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "npm ci (into ./node_modules)"
  npm ci --no-fund --no-audit
fi
