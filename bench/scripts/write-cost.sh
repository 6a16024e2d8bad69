#!/usr/bin/env bash
# What one write costs a three-node OmenDB cluster on this machine (docs/BENCHMARKS.md "What limits the write
# number now"): starts three node processes of the packaged jar on loopback (4 ranges, fsync on), places the
# ranges' leaders, warms up, then measures windows of wrk PUTs (100-byte values) from one wrk per node and prints
# per window: writes/s, p50 per wrk, node CPU per write (from /proc), Raft entries and writes per entry (from the
# nodes' omendb_group_commit_* metrics).
#   bench/scripts/write-cost.sh                                  # leaders n1 n2 n3 n1, 21 connections per node
#   LAYOUT="n2 n2 n2 n2" CONNS=21 WARMUP_S=150 WINDOWS=3 WINDOW_S=20 bench/scripts/write-cost.sh
#   NODE_JAVA_OPTS="-Xmx1g" bench/scripts/write-cost.sh          # extra JVM options for the nodes
# Needs wrk and curl (apt-get install wrk curl). Uses ports 18201-18203 (Raft), 18301-18303 (HTTP),
# 18401-18403 (metrics) and a temporary directory, removed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LAYOUT=${LAYOUT:-n1 n2 n3 n1}; CONNS=${CONNS:-21}; WARMUP_S=${WARMUP_S:-150}; WINDOWS=${WINDOWS:-3}
WINDOW_S=${WINDOW_S:-20}
for tool in wrk curl; do command -v $tool >/dev/null || { echo "write-cost: $tool is needed (apt-get install $tool)" >&2; exit 2; }; done
mvn -q -f "$ROOT/pom.xml" -pl router -am package -DskipTests >&2
WORK=$(mktemp -d /tmp/omendb-write-cost.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for i in 1 2 3; do
  {
    printf '[database]\nname = "bench"\ndata_dir = "%s/data-n%d"\n' "$WORK" $i
    printf '[http]\nbind_address = "127.0.0.1"\nport = 1830%d\n[security]\nauth_enabled = false\n' $i
    printf '[monitoring]\nmetrics_bind_address = "127.0.0.1"\nmetrics_port = 1840%d\n[wal]\nsync_on_write = true\n' $i
    printf '[cluster]\nnode_id = "n%d"\nreplication_factor = 3\ninitial_split_points = ["k25", "k50", "k75"]\n' $i
    for m in 1 2 3; do
      printf '[[cluster.members]]\nid = "n%d"\nraft_address = "127.0.0.1:1820%d"\nhttp_address = "127.0.0.1:1830%d"\n' $m $m $m
    done
  } > "$WORK/n$i.toml"
  # shellcheck disable=SC2086
  java -Xmx2g ${NODE_JAVA_OPTS:-} -cp "$ROOT/router/target/router-0.1.0-SNAPSHOT.jar:$ROOT/router/target/lib/*" \
    io.omendb.router.cli.OmenDbCli node --config "$WORK/n$i.toml" > "$WORK/n$i.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 120); do
  ok=0; for p in 18301 18302 18303; do curl -sf "localhost:$p/ready" >/dev/null && ok=$((ok + 1)); done
  [ $ok = 3 ] && break; sleep 1
done
[ $ok = 3 ] || { echo "write-cost: cluster not ready in 120 s (logs in $WORK)" >&2; exit 1; }
read -r -a to <<< "$LAYOUT"; k=0
for r in $(curl -s localhost:18301/admin/ranges | grep -o '"id":[0-9]*' | cut -d: -f2); do
  [ $k -lt ${#to[@]} ] && curl -s -X POST "localhost:18301/admin/transfer-leader?range=$r&to=${to[$k]}" >/dev/null || true
  k=$((k + 1))
done
leaders() { curl -s localhost:18301/admin/ranges | grep -o '"leader":"n[0-9]"' | cut -d'"' -f4 | tr '\n' ' '; }
echo "leaders: $(leaders)"
cat > "$WORK/put.lua" <<'LUA'
math.randomseed(os.time())
request = function()
  local k = string.format("k%02d%013d", math.random(0, 99), math.random(0, 9999999999999))
  return wrk.format("PUT", "/v1/kv/" .. k, nil, string.rep("v", 100))
end
LUA
cpu_ticks() { local s=0 f; for p in "${PIDS[@]}"; do read -r -a f < "/proc/$p/stat"; s=$((s + f[13] + f[14])); done; echo $s; }
counter() { local sum=0 v; for p in 18401 18402 18403; do
  v=$(curl -s "localhost:$p/metrics" | awk -v n="$1" '$1 == n {print $2}'); sum=$(echo "$sum + ${v:-0}" | bc); done; echo "$sum"; }
window() { # seconds -> one line
  local c0 e0 w0 c1 e1 w1 n=0 p50s="" wrks=()
  c0=$(cpu_ticks); e0=$(counter omendb_group_commit_entries_total); w0=$(counter omendb_group_commit_writes_total)
  for p in 18301 18302 18303; do wrk -t1 -c"$CONNS" -d"$1"s -s "$WORK/put.lua" --latency "http://127.0.0.1:$p" > "$WORK/w$p.out" 2>&1 &
    wrks+=($!)
  done
  wait "${wrks[@]}"
  c1=$(cpu_ticks); e1=$(counter omendb_group_commit_entries_total); w1=$(counter omendb_group_commit_writes_total)
  for p in 18301 18302 18303; do
    n=$((n + $(awk '/requests in/ {print $1}' "$WORK/w$p.out"))); p50s="$p50s $(awk '$1 == "50%" {print $2}' "$WORK/w$p.out")"
  done
  echo "writes_per_s=$((n / $1)) p50s=[${p50s# }] node_cpu_ms_per_write=$(echo "scale=3; ($c1 - $c0) * 1000 / $(getconf CLK_TCK) / $n" | bc)" \
       "entries=$(echo "$e1 - $e0" | bc) writes_per_entry=$(echo "scale=2; ($w1 - $w0) / ($e1 - $e0)" | bc)" \
       "load=$(cut -d' ' -f1 /proc/loadavg)"
}
echo "warm-up ${WARMUP_S} s: $(window "$WARMUP_S")"
for w in $(seq "$WINDOWS"); do echo "window $w: $(window "$WINDOW_S")"; done
echo "leaders after: $(leaders)"
