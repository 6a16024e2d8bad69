#!/usr/bin/env bash
# Deploys OmenDB to Kubernetes: docker/k8s/deploy.sh ENV [--render]
#   ENV       an overlay under docker/k8s/overlays/ (dev, prod): namespace, sizes, image
#   --render  print the manifests instead of applying them (what CI validates; needs no cluster)
# TLS: Secret omendb-tls is made from OMENDB_TLS_CERT and OMENDB_TLS_KEY (PEM files). For ENV=dev, when they
# are unset, a self-signed certificate for the cluster's service names is generated (openssl). Other
# environments must provide them.
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

CERT="${OMENDB_TLS_CERT:-}"
KEY="${OMENDB_TLS_KEY:-}"
if [[ -z "$CERT" || -z "$KEY" ]]; then
  [[ "$ENV" == "dev" ]] || { echo "deploy.sh: set OMENDB_TLS_CERT and OMENDB_TLS_KEY for $ENV" >&2; exit 2; }
  CERT="$WORK/tls.crt"
  KEY="$WORK/tls.key"
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -keyout "$KEY" -out "$CERT" -subj "/CN=omendb" \
    -addext "subjectAltName=DNS:omendb,DNS:*.omendb-peers,DNS:omendb.$NAMESPACE.svc" 2>/dev/null
fi
USERS="${OMENDB_USERS_FILE:-}"
ROLES="${OMENDB_ROLES_FILE:-}"
[[ -n "$USERS" && -n "$ROLES" ]] || { echo "deploy.sh: set OMENDB_USERS_FILE and OMENDB_ROLES_FILE" >&2; exit 2; }
for f in "$CERT" "$KEY" "$USERS" "$ROLES"; do [[ -r "$f" ]] || { echo "deploy.sh: cannot read $f" >&2; exit 2; }; done
cat >> "$WORK/manifests.yaml" <<YAML
---
apiVersion: v1
kind: Secret
metadata:
  name: omendb-tls
  namespace: $NAMESPACE
  labels:
    app.kubernetes.io/name: omendb
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 < "$CERT")
  tls.key: $(base64 -w0 < "$KEY")
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
