#!/usr/bin/env bash
# TLS files of the Kubernetes StatefulSet (docker/k8s), made with bin/omendb-certs:
#   docker/k8s/make-certs.sh NAMESPACE DIR [REPLICAS]      (REPLICAS: the StatefulSet's pods, 3 by default; before
#   scaling up with scale.sh ENV N, run it with N)
# DIR/ca.pem + ca.key: the cluster CA, made on the first run and reused after (rotation keeps the CA; keep ca.key
# offline between runs). DIR/omendb-N.pem + omendb-N.key per pod (N = ordinal): serverAuth + clientAuth, with
# subjectAltNames for the pod's Raft address (omendb-N.omendb-peers, gRPC checks it), its fully qualified forms,
# the client Service (omendb, omendb.NAMESPACE.svc...: clients and Prometheus with server_name omendb) and
# localhost/127.0.0.1 (the exec probes run bin/omendb-health inside the pod). deploy.sh makes Secret omendb-tls
# from DIR (OMENDB_TLS_DIR). Existing pod files are replaced: that is certificate rotation (then deploy.sh ENV).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CERTS="$HERE/../../bin/omendb-certs"
[[ $# -ge 2 && $# -le 3 ]] || { sed -n '3,4p' "$0" >&2; exit 2; }
NS="$1"
DIR="$2"
REPLICAS="${3:-3}"
SERVICE=omendb
PEERS=omendb-peers

mkdir -p "$DIR"
[[ -f "$DIR/ca.pem" && -f "$DIR/ca.key" ]] || "$CERTS" ca "$DIR"
for ((n = 0; n < REPLICAS; n++)); do
  pod="omendb-$n"
  "$CERTS" node "$DIR" "$pod" "DNS:$pod.$PEERS" "DNS:$pod.$PEERS.$NS.svc" "DNS:$pod.$PEERS.$NS.svc.cluster.local" \
    "DNS:$SERVICE" "DNS:$SERVICE.$NS" "DNS:$SERVICE.$NS.svc" "DNS:$SERVICE.$NS.svc.cluster.local" \
    DNS:localhost IP:127.0.0.1
done
echo "make-certs: CA $DIR/ca.pem; pod certificates $(cd "$DIR" && ls omendb-*.pem | tr '\n' ' ')"
