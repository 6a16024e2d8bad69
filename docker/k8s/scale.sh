#!/usr/bin/env bash
# Scales the OmenDB StatefulSet with its data intact: docker/k8s/scale.sh ENV N     (ENV: an overlay, as deploy.sh)
#   Up:   pods N' >= the running count get join = true (render-config.sh) and join the running cluster; this runs
#         `deploy.sh ENV --replicas N`, so OMENDB_TLS_DIR must hold every pod's files (make-certs.sh NAMESPACE DIR N)
#         and OMENDB_USERS_FILE/OMENDB_ROLES_FILE are needed as for deploy.sh. The placement driver then moves
#         replicas and leaders onto the new pods.
#   Down: decommissions pods N..running-1 (`omendb admin decommission`, run in pod omendb-0), waits until
#         `omendb admin nodes` shows each `removed` (no replica left on it), and only then shrinks the StatefulSet
#         (`kubectl scale`). A pod removed without this is a dead node after [placement] node_dead_after_s
#         (300 s): its ranges run on one replica fewer until then, and lose their quorum if another pod fails.
#         An ordinal decommissioned before (`removed`) is re-used: its kept data volume (data-omendb-N, the drained
#         directory, which would stay removed) is deleted first, so the pod starts on an empty one and takes the id
#         back; its backups volume is kept. An ordinal still `draining` or recorded `dead` is refused.
# Never below the initial members (3: pods 0..2 hold the meta group).
# Admin calls need a user with the admin role: OMENDB_ADMIN_USER, the password in OMENDB_PASSWORD or on stdin's
# first line. OMENDB_DRAIN_TIMEOUT_S (default 3600) bounds the wait for the drain, OMENDB_POLL_S (default 10) the
# pace of the checks. docs/OPERATIONS.md "Scaling a Kubernetes cluster".
set -euo pipefail
K8S="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DRAIN_TIMEOUT_S="${OMENDB_DRAIN_TIMEOUT_S:-3600}"
POLL_S="${OMENDB_POLL_S:-10}"
ROLLOUT_TIMEOUT="${OMENDB_ROLLOUT_TIMEOUT:-600s}"
OMENDB=/opt/omendb/bin/omendb
ADMIN_POD=omendb-0
# the pods' HTTP API, CA and port, as the probes reach them (statefulset.yaml, omendb.toml)
ADMIN_URL=https://localhost:3000
ADMIN_CACERT=/etc/omendb/tls/ca.pem

usage() { echo "usage: $0 ENV N   (ENV: $(ls "$K8S/overlays" | tr '\n' ' '))" >&2; exit 2; }
[[ $# -eq 2 && "$2" =~ ^[0-9]+$ ]] || usage
ENV="$1"
WANTED="$2"
[[ -f "$K8S/overlays/$ENV/kustomization.yaml" ]] || { echo "scale.sh: no overlay '$ENV'" >&2; usage; }
command -v kubectl >/dev/null || { echo "scale.sh: kubectl is needed" >&2; exit 1; }
ADMIN_USER="${OMENDB_ADMIN_USER:-}"
[[ -n "$ADMIN_USER" ]] || { echo "scale.sh: set OMENDB_ADMIN_USER (a user with the admin role)" >&2; exit 2; }
PASSWORD="${OMENDB_PASSWORD:-}"
[[ -n "$PASSWORD" ]] || IFS= read -r PASSWORD || true
[[ -n "$PASSWORD" ]] || { echo "scale.sh: no password (OMENDB_PASSWORD or stdin)" >&2; exit 2; }

MANIFESTS="$(kubectl kustomize "$K8S/overlays/$ENV")"
NAMESPACE="$(sed -n 's/^  namespace: //p' <<<"$MANIFESTS" | head -1)"
INITIAL="$(grep -c '^    \[\[cluster\.members\]\]$' <<<"$MANIFESTS" || true)"
RUNNING="$(kubectl -n "$NAMESPACE" get statefulset omendb -o 'jsonpath={.spec.replicas}')"
[[ "$RUNNING" =~ ^[0-9]+$ ]] \
  || { echo "scale.sh: no StatefulSet omendb in $NAMESPACE (deploy.sh $ENV first)" >&2; exit 1; }
[[ "$WANTED" -ge "$INITIAL" ]] \
  || { echo "scale.sh: $WANTED pods: at least the $INITIAL initial members (pods 0..$((INITIAL - 1)))" >&2; exit 2; }

# omendb admin ARGS... in pod omendb-0, the password on stdin
admin() {
  kubectl -n "$NAMESPACE" exec -i "$ADMIN_POD" -c omendb -- "$OMENDB" admin "$@" --url "$ADMIN_URL" \
    --cacert "$ADMIN_CACERT" --user "$ADMIN_USER" --password-stdin <<<"$PASSWORD"
}

# the state GET /admin/nodes shows for node $2 in the answer $1 (empty: not a member)
state_in() {
  { grep -o "{\"id\":\"$2\"[^}]*}" <<<"$1" || true; } | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'
}

if [[ "$WANTED" -eq "$RUNNING" ]]; then
  echo "scale.sh: StatefulSet omendb already runs $RUNNING pods"
  exit 0
fi

if [[ "$WANTED" -gt "$RUNNING" ]]; then
  nodes="$(admin nodes)"
  reused=()
  for ((n = RUNNING; n < WANTED; n++)); do
    state="$(state_in "$nodes" "omendb-$n")"
    case "$state" in
      removed) reused+=("data-omendb-$n") ;;
      draining)
        echo "scale.sh: omendb-$n is still draining: wait until \`omendb admin nodes\` shows it removed, or scale to" \
          "at most $n" >&2
        exit 1 ;;
      dead)
        echo "scale.sh: omendb-$n is recorded 'dead': a dead node's id is not re-used (it was never drained: its" \
          "volume may still hold replicas); scale to at most $n" >&2
        exit 1 ;;
    esac
  done
  if [[ ${#reused[@]} -gt 0 ]]; then
    # removed: drained, no replica left on these volumes; a pod on one would stay removed, on an empty one it joins
    echo "scale.sh: re-using decommissioned ordinals: deleting their drained data volumes ${reused[*]}"
    kubectl -n "$NAMESPACE" delete pvc "${reused[@]}" --ignore-not-found
  fi
  exec "$K8S/deploy.sh" "$ENV" --replicas "$WANTED"
fi

# Down: drain every pod that goes, all at once (the placement driver moves their replicas to the staying pods;
# the meta group refuses, changing nothing, when the staying pods could not hold every range's replicas).
for ((n = WANTED; n < RUNNING; n++)); do
  admin decommission "omendb-$n"
done
deadline=$((SECONDS + DRAIN_TIMEOUT_S))
while :; do
  nodes="$(admin nodes)"
  pending=()
  for ((n = WANTED; n < RUNNING; n++)); do
    [[ "$(state_in "$nodes" "omendb-$n")" == removed ]] || pending+=("omendb-$n")
  done
  [[ ${#pending[@]} -gt 0 ]] || break
  if [[ $SECONDS -ge $deadline ]]; then
    echo "scale.sh: ${pending[*]} not drained within $DRAIN_TIMEOUT_S s (still draining; the StatefulSet is" \
      "unchanged; run scale.sh again to keep waiting):" >&2
    echo "$nodes" >&2
    exit 1
  fi
  echo "scale.sh: waiting for ${pending[*]} to drain"
  sleep "$POLL_S"
done
kubectl -n "$NAMESPACE" scale statefulset/omendb --replicas="$WANTED"
kubectl -n "$NAMESPACE" rollout status statefulset/omendb --timeout="$ROLLOUT_TIMEOUT"
claims=()
for ((n = WANTED; n < RUNNING; n++)); do claims+=("data-omendb-$n" "backups-omendb-$n"); done
echo "scale.sh: $WANTED pods. The removed pods' volumes are kept (no replica is on them; scaling up onto these" \
  "ordinals deletes their data volumes first): kubectl -n $NAMESPACE delete pvc ${claims[*]}"
