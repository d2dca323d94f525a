#!/usr/bin/env bash
# A real Kubernetes control plane for end-to-end tests: etcd + kube-apiserver + kube-controller-manager,
# all on loopback, no kubelet. The apiserver and controller manager are built once from Debian's
# `kubernetes` source package with Debian's Go and cached.
#
# Usage:
#   scripts/control-plane.sh build          build (once) and print the directory holding the binaries
#   scripts/control-plane.sh bin-dir        print the cached binary directory (exit 1 if not built)
#   scripts/control-plane.sh up [DIR]       start etcd, kube-apiserver, kube-controller-manager; state in DIR
#                                           (default: a new temp dir); prints `export KUBECONFIG=...`
#   scripts/control-plane.sh down [DIR]     stop everything started by `up` and remove DIR
#   scripts/control-plane.sh env [DIR]      print DIR/control-plane.json (ports, kubeconfig, CA and front-proxy files)
#
# Environment: TIDESCALE_CACHE (default ~/.cache/tidescale), TIDESCALE_CP_DIR (state dir for up/down/env).
#
# Example:
#   scripts/control-plane.sh build && scripts/control-plane.sh up /tmp/cp
#   KUBECONFIG=/tmp/cp/admin.kubeconfig kubectl get apiservices
#   scripts/control-plane.sh down /tmp/cp
set -euo pipefail

CACHE="${TIDESCALE_CACHE:-$HOME/.cache/tidescale}"
SRC_DIR="$CACHE/src"
BINS=(kube-apiserver kube-controller-manager)

log() { echo "control-plane: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "error: control-plane: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------- build

# Bumped when the build itself changes, so an older cached build is not used.
BUILD_REV=2
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2

cached_bin_dir() {
  local d
  for d in "$CACHE"/kubernetes-*+r"$BUILD_REV"/; do
    [[ -x "$d/kube-apiserver" && -x "$d/kube-controller-manager" ]] && { echo "${d%/}"; return 0; }
  done
  return 1
}

fetch_source() {
  mkdir -p "$SRC_DIR"
  if ! ls "$SRC_DIR"/kubernetes_*.dsc >/dev/null 2>&1; then
    command -v apt-get >/dev/null || die "apt-get is missing; put the Debian kubernetes source package in $SRC_DIR"
    log "downloading the Debian source package of kubernetes into $SRC_DIR"
    (cd "$SRC_DIR" && apt-get source --download-only kubernetes >"$SRC_DIR/fetch.log" 2>&1) ||
      die "apt-get source kubernetes failed (see $SRC_DIR/fetch.log; scripts/install-deps.sh adds the deb-src line)"
  fi
}

build() {
  if dir=$(cached_bin_dir); then echo "$dir"; return 0; fi
  command -v go >/dev/null || die "go is missing (apt-get install golang-go; see scripts/install-deps.sh)"
  command -v dpkg-source >/dev/null || die "dpkg-source is missing (apt-get install dpkg-dev)"
  command -v rsync >/dev/null || die "rsync is missing (the kubernetes build uses it)"
  fetch_source
  local dsc version upstream out
  dsc=$(ls "$SRC_DIR"/kubernetes_*.dsc | sort -V | tail -1)
  version=$(sed -n 's/^Version: //p' "$dsc")             # e.g. 1.20.5+really1.20.2-1.1+deb12u1
  upstream=${version%-*}; upstream=${upstream##*really}  # e.g. 1.20.2
  out="$CACHE/kubernetes-$upstream+r$BUILD_REV"
  [[ -f $REFLECT2_SRC/go_above_118.go ]] ||
    die "reflect2 1.0.2 is missing (apt-get install golang-github-modern-go-reflect2-dev; see scripts/install-deps.sh)"
  work=$(mktemp -d "$CACHE/build.XXXXXX")  # global: the EXIT trap removes it
  trap 'rm -rf "$work"' EXIT
  log "unpacking $(basename "$dsc") (Debian $version) in $work"
  dpkg-source --no-check -x "$dsc" "$work/src" >/dev/null
  cd "$work/src"
  # GOPATH laid out as debian/rules does: .go/src/k8s.io/kubernetes -> the source tree. The tree vendors
  # every Go dependency; GOPROXY=off and GOFLAGS=-mod=vendor make sure nothing is fetched.
  mkdir -p .go/src/k8s.io
  ln -s ../../.. .go/src/k8s.io/kubernetes
  # Kubernetes 1.20 vendors modern-go/reflect2 1.0.1, whose map iteration faults in binaries built with Go
  # >= 1.18 (kube-apiserver dies with "fatal error: fault" on the first custom resource it decodes).
  # 1.0.2 (Debian's golang-github-modern-go-reflect2-dev) is the fix and keeps the same API.
  rsync -a --delete --exclude '*_test.go' --exclude go.mod "$REFLECT2_SRC/" vendor/github.com/modern-go/reflect2/
  log "building ${BINS[*]} with $(go version | cut -d' ' -f3) (takes ~7 minutes on 2 idle cores)"
  local start=$SECONDS
  # Progress (the build's `+++` step lines) on a terminal; quiet when piped.
  local progress=(cat)
  [[ -t 2 ]] && progress=(tee /dev/stderr)
  if ! env GOPATH="$PWD/.go" PATH="/usr/lib/go/bin:$PATH" CGO_ENABLED=0 GOPROXY=off GOFLAGS=-mod=vendor \
    GOCACHE="$work/gocache" HOME="$work/home" \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" 2>&1 | tee "$work/build.log" |
    { grep --line-buffered '^+++' || true; } | "${progress[@]}" >/dev/null; then
    tail -40 "$work/build.log" >&2
    cp "$work/build.log" "$CACHE/build-failed.log"
    die "make failed (log: $CACHE/build-failed.log)"
  fi
  mkdir -p "$out.tmp"
  for b in "${BINS[@]}"; do install -m 0755 "_output/bin/$b" "$out.tmp/$b"; done
  echo "$version" >"$out.tmp/DEBIAN_VERSION"
  rm -rf "$out" && mv "$out.tmp" "$out"
  log "built in $((SECONDS - start)) s: $out"
  echo "$out"
}

bin_dir() { cached_bin_dir || die "not built yet; run: scripts/control-plane.sh build"; }

# ----------------------------------------------------------------------------------------- up / down

free_ports() { # N free loopback ports (asks the kernel, then releases them)
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]); const servers = []; const ports = [];
    (function next() {
      if (ports.length === n) { servers.forEach((s) => s.close()); console.log(ports.join(" ")); return; }
      const s = net.createServer(); servers.push(s);
      s.listen(0, "127.0.0.1", () => { ports.push(s.address().port); next(); });
    })();' "$1"
}

# gen_cert DIR NAME CA SUBJECT [SANS] [EXTKEYUSAGE]: a key pair signed by CA (CA empty: self-signed CA).
gen_cert() {
  local dir=$1 name=$2 ca=$3 subj=$4 sans=${5:-} eku=${6:-clientAuth}
  openssl genrsa -out "$dir/$name.key" 2048 2>/dev/null
  if [[ -z $ca ]]; then
    openssl req -x509 -new -key "$dir/$name.key" -subj "$subj" -days 3650 -out "$dir/$name.crt" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    return
  fi
  local ext="$dir/$name.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n $sans ]] && echo "subjectAltName=$sans"
  } >"$ext"
  openssl req -new -key "$dir/$name.key" -subj "$subj" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" -CAcreateserial \
    -days 3650 -extfile "$ext" -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$ext"
}

# kubeconfig FILE USER CERTNAME: a kubeconfig for the apiserver authenticating with a client certificate.
kubeconfig() {
  local file=$1 user=$2 cert=$3
  cat >"$file" <<KC
apiVersion: v1
kind: Config
clusters:
- name: tidescale-e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $DIR/pki/ca.crt
users:
- name: $user
  user:
    client-certificate: $DIR/pki/$cert.crt
    client-key: $DIR/pki/$cert.key
contexts:
- name: tidescale-e2e
  context: {cluster: tidescale-e2e, user: $user}
current-context: tidescale-e2e
KC
}

# start NAME CMD...: runs CMD in its own session with output in DIR/NAME.log and its pid in DIR/NAME.pid.
start() {
  local name=$1; shift
  setsid "$@" >"$DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
}

# wait_for WHAT SECONDS CMD...: polls CMD every 0.5 s.
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    local name
    for name in etcd kube-apiserver kube-controller-manager; do
      if [[ -f "$DIR/$name.pid" ]] && ! kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null; then
        tail -30 "$DIR/$name.log" >&2; die "$name exited (log: $DIR/$name.log)"
      fi
    done
    ((SECONDS < deadline)) || { die "$what not ready within ${secs}s (logs in $DIR)"; }
    sleep 0.5
  done
}

up() {
  local bins attempt rc
  bins=$(bin_dir)
  command -v etcd >/dev/null || die "etcd is missing (apt-get install etcd-server)"
  DIR=${1:-${TIDESCALE_CP_DIR:-}}
  if [[ -z $DIR ]]; then DIR=$(mktemp -d "${TMPDIR:-/tmp}/tidescale-cp.XXXXXX"); else mkdir -p "$DIR"; fi
  DIR=$(cd "$DIR" && pwd)
  [[ -f "$DIR/kube-apiserver.pid" ]] && die "$DIR already holds a control plane (run: $0 down $DIR)"
  # The free ports are released before the components bind them, so on a busy machine another process
  # can take one in between: then start over on new ports (3 attempts).
  for attempt in 1 2 3; do
    set +e
    (set -e; up_once "$bins")
    rc=$?
    set -e
    ((rc == 0)) && return 0
    down_dir "$DIR" keep
    if ((attempt < 3)) && grep -qs "address already in use" "$DIR"/*.log; then
      log "a port was taken by another process meanwhile; retrying on new ports"
      rm -rf "$DIR/etcd" "$DIR"/*.log "$DIR/pki"
      continue
    fi
    break
  done
  echo "control-plane: up failed; logs kept in $DIR (remove with: $0 down $DIR)" >&2
  exit 1
}

# up_once BINDIR: one attempt of `up` in DIR (runs in a subshell; the caller cleans up on failure).
up_once() {
  local bins=$1
  read -r ETCD_PORT ETCD_PEER_PORT APISERVER_PORT KCM_PORT <<<"$(free_ports 4)"
  log "state in $DIR; ports etcd=$ETCD_PORT apiserver=$APISERVER_PORT controller-manager=$KCM_PORT"

  # PKI: cluster CA (serving cert, client certs), front-proxy CA (aggregator client cert), SA keys.
  local pki="$DIR/pki"
  mkdir -p "$pki"
  gen_cert "$pki" ca "" "/CN=tidescale-e2e-ca"
  gen_cert "$pki" front-proxy-ca "" "/CN=tidescale-e2e-front-proxy-ca"
  gen_cert "$pki" apiserver ca "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" serverAuth
  gen_cert "$pki" admin ca "/O=system:masters/CN=tidescale-admin"
  gen_cert "$pki" controller-manager ca "/CN=system:kube-controller-manager"
  gen_cert "$pki" front-proxy-client front-proxy-ca "/CN=front-proxy-client"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  kubeconfig "$DIR/admin.kubeconfig" tidescale-admin admin
  kubeconfig "$DIR/controller-manager.kubeconfig" system:kube-controller-manager controller-manager

  start etcd /usr/bin/etcd --name tidescale-e2e --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "tidescale-e2e=http://127.0.0.1:$ETCD_PEER_PORT" \
    --logger zap --log-level warn
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  # --enable-aggregator-routing=false: the aggregator dials the Service (an ExternalName `localhost` for a
  # process on this machine) rather than its Endpoints, which may not be loopback addresses.
  start kube-apiserver "$bins/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" --insecure-port 0 \
    --endpoint-reconciler-type none \
    --service-cluster-ip-range 10.0.0.0/24 \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --authorization-mode Node,RBAC \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc --api-audiences https://kubernetes.default.svc \
    --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
    --enable-aggregator-routing=false \
    --allow-privileged=true --profiling=false --v=1
  wait_for kube-apiserver 90 curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/readyz"

  start kube-controller-manager "$bins/kube-controller-manager" \
    --kubeconfig "$DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$DIR/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --port 0 \
    --leader-elect=false --use-service-account-credentials=true \
    --controllers '*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-route,-service,-attachdetach,-persistentvolume-binder,-persistentvolume-expander,-ttl,-bootstrapsigner,-tokencleaner,-csrsigning' \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --horizontal-pod-autoscaler-sync-period 5s \
    --profiling=false --v=1
  wait_for kube-controller-manager 60 curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"

  # The service-account controller creates `default` in every namespace; pods need it.
  wait_for "default ServiceAccount" 60 kubectl --kubeconfig "$DIR/admin.kubeconfig" get serviceaccount default -n default

  jq -n --arg dir "$DIR" --arg bins "$bins" --argjson etcd "$ETCD_PORT" --argjson apiserver "$APISERVER_PORT" \
    --argjson kcm "$KCM_PORT" '{dir: $dir, binDir: $bins, etcdPort: $etcd, apiserverPort: $apiserver,
      controllerManagerPort: $kcm, server: "https://127.0.0.1:\($apiserver)",
      kubeconfig: "\($dir)/admin.kubeconfig", pki: "\($dir)/pki",
      caFile: "\($dir)/pki/ca.crt", requestheaderClientCAFile: "\($dir)/pki/front-proxy-ca.crt",
      frontProxyClientCert: "\($dir)/pki/front-proxy-client.crt", frontProxyClientKey: "\($dir)/pki/front-proxy-client.key"}' \
    >"$DIR/control-plane.json"
  log "ready: kube-apiserver https://127.0.0.1:$APISERVER_PORT"
  echo "export KUBECONFIG=$DIR/admin.kubeconfig  # stop with: $0 down $DIR"
}

# down_dir DIR [keep]: stops the processes recorded in DIR (controller manager, apiserver, etcd) and
# removes DIR unless `keep`.
down_dir() {
  local dir=$1 keep=${2:-} name pid i
  for name in kube-controller-manager kube-apiserver etcd; do
    [[ -f "$dir/$name.pid" ]] || continue
    pid=$(cat "$dir/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/$name.pid"
  done
  [[ $keep == keep ]] || rm -rf "$dir"
}

down() {
  local dir=${1:-${TIDESCALE_CP_DIR:-}}
  [[ -n $dir ]] || { echo "error: control-plane: down: give the directory printed by up (or set TIDESCALE_CP_DIR)" >&2; exit 2; }
  [[ -d $dir ]] || { log "$dir does not exist; nothing to stop"; return 0; }
  [[ -f "$dir/control-plane.json" || -f "$dir/etcd.pid" || -d "$dir/pki" ]] || die "$dir is not a control-plane directory"
  down_dir "$dir"
  log "stopped and removed $dir"
}

# -------------------------------------------------------------------------------------------- main

cmd=${1:-}
shift || true
case "$cmd" in
  build) build ;;
  bin-dir) bin_dir ;;
  up) up "$@" ;;
  down) down "$@" ;;
  env) d=${1:-${TIDESCALE_CP_DIR:-}}; [[ -f "$d/control-plane.json" ]] || die "no running control plane in '$d'"; cat "$d/control-plane.json" ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    [[ -z $cmd ]] && exit 2
    echo "error: control-plane: unknown command '$cmd'" >&2
    exit 2
    ;;
esac
