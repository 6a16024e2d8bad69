#!/usr/bin/env bash
# Deploys OmenDB to Kubernetes: docker/k8s/deploy.sh ENV [--render]
#   ENV       an overlay under docker/k8s/overlays/ (dev, prod): namespace, sizes, image
#   --render  print the manifests instead of applying them (what CI validates; needs no cluster)
# TLS (on in every environment): Secret omendb-tls is made from the directory OMENDB_TLS_DIR, which must hold
# ca.pem (the cluster CA) and omendb-N.pem + omendb-N.key for every pod ordinal N, each certificate signed by
# that CA and naming omendb-N.omendb-peers: make it with `docker/k8s/make-certs.sh NAMESPACE DIR`.
# Auth: Secret omendb-auth is made from OMENDB_USERS_FILE (htpasswd, bcrypt: htpasswd -B -C 12) and
# OMENDB_ROLES_FILE (user:role,role lines), required for every environment (docs/SECURITY.md).
# Applying needs kubectl configured for the target cluster; it waits for the StatefulSet's rollout.
set -euo pipefail
K8S="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROLLOUT_TIMEOUT="${OMENDB_ROLLOUT_TIMEOUT:-600s}"

usage() { echo "usage: $0 ENV [--render]   (ENV: $(ls "$K8S/overlays" | tr '\n' ' '))" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
ENV="$1"
RENDER=0
if [[ $# -eq 2 ]]; then [[ "$2" == "--render" ]] || usage; RENDER=1; fi
[[ -f "$K8S/overlays/$ENV/kustomization.yaml" ]] || { echo "deploy.sh: no overlay '$ENV'" >&2; usage; }
command -v kubectl >/dev/null || { echo "deploy.sh: kubectl is needed (apt-get install kubectl)" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
kubectl kustomize "$K8S/overlays/$ENV" > "$WORK/manifests.yaml"
NAMESPACE="$(sed -n 's/^  namespace: //p' "$WORK/manifests.yaml" | head -1)"

REPLICAS="$(sed -n 's/^  replicas: //p' "$WORK/manifests.yaml" | head -1)"
[[ "$REPLICAS" =~ ^[0-9]+$ ]] || { echo "deploy.sh: no StatefulSet replicas in the manifests" >&2; exit 1; }
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
