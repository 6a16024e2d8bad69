#!/bin/sh
# Writes this pod's omendb.toml (run by the StatefulSet's init container `render-config`, from ConfigMap
# omendb-config). Environment: POD_NAME (omendb-N), TEMPLATE (the ConfigMap's omendb.toml), CONFIG (the file to write).
# Every pod: [cluster] node_id = the pod name, and the pod's own certificate and key in [security] (the template
# names omendb-0's). The template's [[cluster.members]] are the initial members, pods 0..M-1 (M = 3, the meta group's
# peers). A pod with ordinal N >= M (the StatefulSet scaled up) joins the running cluster: `join = true` in
# [cluster], and itself appended to the members, its entry made from omendb-0's with the pod name in place of
# omendb-0 (docs/CONFIG.md `join`, docs/OPERATIONS.md "Scaling a Kubernetes cluster").
set -eu
first=omendb-0
ordinal="${POD_NAME##*-}"
case "$ordinal" in
  '' | *[!0-9]*) echo "render-config: pod name '$POD_NAME' does not end in an ordinal" >&2; exit 2 ;;
esac
initial="$(grep -c '^\[\[cluster\.members\]\]$' "$TEMPLATE")"
[ "$initial" -ge 1 ] || { echo "render-config: $TEMPLATE lists no [[cluster.members]]" >&2; exit 2; }
tmp="$CONFIG.tmp"
cluster_line="node_id = \"$POD_NAME\""
[ "$ordinal" -lt "$initial" ] || cluster_line="$cluster_line\\
join = true"
sed -e "s/^node_id = .*/$cluster_line/" -e "s#/etc/omendb/tls/$first\\.#/etc/omendb/tls/$POD_NAME.#" \
  "$TEMPLATE" > "$tmp"
if [ "$ordinal" -ge "$initial" ]; then
  entry="$(sed -n "/^id = \"$first\"\$/,/^\\[/p" "$TEMPLATE" | sed -e '/^\[/d' -e '/^$/d' -e "s/$first/$POD_NAME/g")"
  printf '[[cluster.members]]\n%s\n' "$entry" >> "$tmp"
fi
mv "$tmp" "$CONFIG"
