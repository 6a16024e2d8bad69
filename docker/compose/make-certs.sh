#!/usr/bin/env bash
# TLS files of the docker-compose cluster (docker/docker-compose.yml), made with bin/omendb-certs:
#   docker/compose/make-certs.sh [DIR]        (default: docker/compose/tls, which docker-compose.yml mounts)
# DIR/ca.pem + ca.key: the cluster CA, made on the first run and reused after (rotation keeps the CA).
# DIR/omendb-N.pem + omendb-N.key for each node: serverAuth + clientAuth, with subjectAltNames for every name
# the node is reached by: its service name (Raft peers, Prometheus), its fixed address on the compose network,
# and localhost/127.0.0.1 (the HEALTHCHECK inside the container, and the host's published ports).
# Existing node files are replaced: that is certificate rotation (then restart the nodes one at a time).
# The node runs as uid 10001: run this as root, or chown the keys to 10001 as printed, so it can read its key.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CERTS="$HERE/../../bin/omendb-certs"
DIR="${1:-$HERE/tls}"
OMENDB_UID=10001
# service name -> ipv4_address in docker-compose.yml (networks.omendb); omendb-4 is the node that
# docker-compose.omendb-4.yml adds to the running cluster
NODES=("omendb-1 172.28.5.11" "omendb-2 172.28.5.12" "omendb-3 172.28.5.13" "omendb-4 172.28.5.14")

mkdir -p "$DIR"
[[ -f "$DIR/ca.pem" && -f "$DIR/ca.key" ]] || "$CERTS" ca "$DIR"
for entry in "${NODES[@]}"; do
  read -r name address <<<"$entry"
  rm -f "$DIR/$name.key"   # may belong to uid 10001 after a first run: replace it rather than write through it
  "$CERTS" node "$DIR" "$name" "DNS:$name" "IP:$address" DNS:localhost IP:127.0.0.1
done
if [[ $(id -u) -eq 0 ]]; then
  chown "$OMENDB_UID:$OMENDB_UID" "$DIR"/omendb-*.key
else
  echo "make-certs: the nodes run as uid $OMENDB_UID: sudo chown $OMENDB_UID:$OMENDB_UID $DIR/omendb-*.key" >&2
fi
echo "make-certs: CA $DIR/ca.pem; node certificates $(cd "$DIR" && ls omendb-*.pem | tr '\n' ' ')"
