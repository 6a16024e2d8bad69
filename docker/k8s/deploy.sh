#!/usr/bin/env bash
# Deploys OmenDB to Kubernetes: docker/k8s/deploy.sh ENV [--render] [--replicas N]
#   ENV           an overlay under docker/k8s/overlays/ (dev, prod): namespace, sizes, image
#   --render      print the manifests instead of applying them (what CI validates; needs no cluster)
#   --replicas N  pods of the StatefulSet, at least the initial members (3, the ConfigMap's [[cluster.members]]);
#                 pods past them join the running cluster. Default: the StatefulSet's current count when it exists
#                 (so a deploy never undoes a scale), else the overlay's (3). Applying fewer pods than are running is
#                 refused: docker/k8s/scale.sh decommissions the pods first (docs/OPERATIONS.md "Scaling a
#                 Kubernetes cluster").
# TLS (on in every environment): Secret omendb-tls is made from the directory OMENDB_TLS_DIR, which must hold
# ca.pem (the cluster CA) and omendb-N.pem + omendb-N.key for every pod ordinal N, each certificate signed by
# that CA and naming omendb-N.omendb-peers: make it with `docker/k8s/make-certs.sh NAMESPACE DIR`.
# Auth: Secret omendb-auth is made from OMENDB_USERS_FILE (htpasswd, bcrypt: htpasswd -B -C 12) and
# OMENDB_ROLES_FILE (user:role,role lines), required for every environment (docs/SECURITY.md).
# Applying needs kubectl configured for the target cluster; it waits for the StatefulSet's rollout.
set -euo pipefail
K8S="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROLLOUT_TIMEOUT="${OMENDB_ROLLOUT_TIMEOUT:-600s}"

usage() { echo "usage: $0 ENV [--render] [--replicas N]   (ENV: $(ls "$K8S/overlays" | tr '\n' ' '))" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
ENV="$1"
shift
RENDER=0
WANTED=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --render) RENDER=1; shift ;;
    --replicas) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || usage; WANTED="$2"; shift 2 ;;
    *) usage ;;
  esac
done
[[ -f "$K8S/overlays/$ENV/kustomization.yaml" ]] || { echo "deploy.sh: no overlay '$ENV'" >&2; usage; }
command -v kubectl >/dev/null || { echo "deploy.sh: kubectl is needed (apt-get install kubectl)" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
kubectl kustomize "$K8S/overlays/$ENV" > "$WORK/manifests.yaml"
NAMESPACE="$(sed -n 's/^  namespace: //p' "$WORK/manifests.yaml" | head -1)"

REPLICAS="$(sed -n 's/^  replicas: //p' "$WORK/manifests.yaml" | head -1)"
[[ "$REPLICAS" =~ ^[0-9]+$ ]] || { echo "deploy.sh: no StatefulSet replicas in the manifests" >&2; exit 1; }
# the initial members: the [[cluster.members]] of the ConfigMap's omendb.toml (pods 0..INITIAL-1)
INITIAL="$(grep -c '^    \[\[cluster\.members\]\]$' "$WORK/manifests.yaml" || true)"
RUNNING=""
if [[ $RENDER -eq 0 ]]; then
  RUNNING="$(kubectl -n "$NAMESPACE" get statefulset omendb -o 'jsonpath={.spec.replicas}' 2>/dev/null || true)"
fi
REPLICAS="${WANTED:-${RUNNING:-$REPLICAS}}"
[[ "$REPLICAS" -ge "$INITIAL" ]] \
  || { echo "deploy.sh: --replicas $REPLICAS: at least the $INITIAL initial members (pods 0..$((INITIAL - 1)))" >&2; exit 2; }
if [[ -n "$RUNNING" && "$REPLICAS" -lt "$RUNNING" ]]; then
  echo "deploy.sh: StatefulSet omendb runs $RUNNING pods; shrinking it to $REPLICAS without decommissioning pods" \
    "$REPLICAS..$((RUNNING - 1)) first loses their replicas until the cluster re-creates them: use" \
    "docker/k8s/scale.sh $ENV $REPLICAS" >&2
  exit 2
fi
sed -i "0,/^  replicas: [0-9]*\$/s//  replicas: $REPLICAS/" "$WORK/manifests.yaml"
TLS_DIR="${OMENDB_TLS_DIR:-}"
[[ -n "$TLS_DIR" ]] || { echo "deploy.sh: set OMENDB_TLS_DIR (docker/k8s/make-certs.sh $NAMESPACE DIR makes it)" >&2; exit 2; }
TLS_FILES=(ca.pem)
for ((n = 0; n < REPLICAS; n++)); do
  TLS_FILES+=("omendb-$n.pem" "omendb-$n.key")
done
for f in "${TLS_FILES[@]}"; do [[ -r "$TLS_DIR/$f" ]] || { echo "deploy.sh: cannot read $TLS_DIR/$f" >&2; exit 2; }; done
for ((n = 0; n < REPLICAS; n++)); do
  crt="$TLS_DIR/omendb-$n.pem"
  openssl verify -CAfile "$TLS_DIR/ca.pem" "$crt" >/dev/null \
    || { echo "deploy.sh: $crt is not signed by $TLS_DIR/ca.pem" >&2; exit 2; }
  openssl x509 -in "$crt" -noout -checkhost "omendb-$n.omendb-peers" | grep -q 'does match' \
    || { echo "deploy.sh: $crt does not name omendb-$n.omendb-peers (its Raft address)" >&2; exit 2; }
done
USERS="${OMENDB_USERS_FILE:-}"
ROLES="${OMENDB_ROLES_FILE:-}"
[[ -n "$USERS" && -n "$ROLES" ]] || { echo "deploy.sh: set OMENDB_USERS_FILE and OMENDB_ROLES_FILE" >&2; exit 2; }
for f in "$USERS" "$ROLES"; do [[ -r "$f" ]] || { echo "deploy.sh: cannot read $f" >&2; exit 2; }; done
cat >> "$WORK/manifests.yaml" <<YAML
---
apiVersion: v1
kind: Secret
metadata:
  name: omendb-tls
  namespace: $NAMESPACE
  labels:
    app.kubernetes.io/name: omendb
type: Opaque
data:
$(for f in "${TLS_FILES[@]}"; do echo "  $f: $(base64 -w0 < "$TLS_DIR/$f")"; done)
---
apiVersion: v1
kind: Secret
metadata:
  name: omendb-auth
  namespace: $NAMESPACE
  labels:
    app.kubernetes.io/name: omendb
type: Opaque
data:
  users.htpasswd: $(base64 -w0 < "$USERS")
  roles.txt: $(base64 -w0 < "$ROLES")
YAML

if [[ $RENDER -eq 1 ]]; then
  cat "$WORK/manifests.yaml"
  exit 0
fi
kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || kubectl create namespace "$NAMESPACE"
kubectl apply -f "$WORK/manifests.yaml"
kubectl -n "$NAMESPACE" rollout status statefulset/omendb --timeout="$ROLLOUT_TIMEOUT"
