#!/usr/bin/env bash
# What one operation costs a three-node OmenDB cluster on this machine (docs/BENCHMARKS.md "What limits the write
# number now"): starts three node processes of the packaged jar on loopback (4 ranges, fsync on), places the
# ranges' leaders, warms up, then measures windows of wrk requests from one wrk per entry of TARGETS and prints
# per window: ops/s, p50 per wrk, node CPU per operation (from /proc), and how the routers grouped them (from the
# nodes' metrics): for OP=put Raft entries and writes per entry (omendb_group_commit_*), for OP=get leader read
# messages and gets per message (omendb_read_fold_*), for OP=mixed (95 % GET, 5 % PUT) both. PUTs carry 100-byte
# values; GETs are linearizable, of random keys (mostly absent: the read path is the same).
#   bench/scripts/op-cost.sh                                     # PUTs, leaders n1 n2 n3 n1, 21 connections per node
#   LAYOUT="n2 n2 n2 n2" CONNS=21 WARMUP_S=150 WINDOWS=3 WINDOW_S=20 bench/scripts/op-cost.sh
#   OP=get LAYOUT="n2 n2 n2 n2" TARGETS="2 2 2" bench/scripts/op-cost.sh   # GETs, every request to the leaders' node
#   NODE_JAVA_OPTS="-Xmx1g" bench/scripts/op-cost.sh             # extra JVM options for the nodes
#   PERFORMANCE="group_commit_linger_max_us = 0" bench/scripts/op-cost.sh   # extra [performance] lines (docs/CONFIG.md)
# Needs wrk and curl (apt-get install wrk curl). Uses ports 18201-18203 (Raft), 18301-18303 (HTTP),
# 18401-18403 (metrics) and a temporary directory, removed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LAYOUT=${LAYOUT:-n1 n2 n3 n1}; CONNS=${CONNS:-21}; WARMUP_S=${WARMUP_S:-150}; WINDOWS=${WINDOWS:-3}
WINDOW_S=${WINDOW_S:-20}; OP=${OP:-put}; TARGETS=${TARGETS:-1 2 3}
case $OP in
  put) PUT_SHARE=1 ;;
  get) PUT_SHARE=0 ;;
  mixed) PUT_SHARE=0.05 ;;
  *) echo "op-cost: OP must be put, get or mixed, not '$OP'" >&2; exit 2 ;;
esac
for tool in wrk curl; do command -v $tool >/dev/null || { echo "op-cost: $tool is needed (apt-get install $tool)" >&2; exit 2; }; done
mvn -q -f "$ROOT/pom.xml" -pl app -am package -DskipTests >&2
WORK=$(mktemp -d /tmp/omendb-op-cost.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for i in 1 2 3; do
  {
    printf '[database]\nname = "bench"\ndata_dir = "%s/data-n%d"\n' "$WORK" $i
    printf '[http]\nbind_address = "127.0.0.1"\nport = 1830%d\n[security]\nauth_enabled = false\n' $i
    printf '[monitoring]\nmetrics_bind_address = "127.0.0.1"\nmetrics_port = 1840%d\n[wal]\nsync_on_write = true\n' $i
    printf '[performance]\n%b\n' "${PERFORMANCE:-}"
    printf '[cluster]\nnode_id = "n%d"\nreplication_factor = 3\ninitial_split_points = ["k25", "k50", "k75"]\n' $i
    for m in 1 2 3; do
      printf '[[cluster.members]]\nid = "n%d"\nraft_address = "127.0.0.1:1820%d"\nhttp_address = "127.0.0.1:1830%d"\n' $m $m $m
    done
  } > "$WORK/n$i.toml"
  # shellcheck disable=SC2086
  java -Xmx2g ${NODE_JAVA_OPTS:-} -cp "$ROOT/app/target/app-0.1.0-SNAPSHOT.jar:$ROOT/app/target/lib/*" \
    io.omendb.app.OmenDbCli node --config "$WORK/n$i.toml" > "$WORK/n$i.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 120); do
  ok=0; for p in 18301 18302 18303; do curl -sf "localhost:$p/ready" >/dev/null && ok=$((ok + 1)); done
  [ $ok = 3 ] && break; sleep 1
done
[ $ok = 3 ] || { echo "op-cost: cluster not ready in 120 s (logs in $WORK)" >&2; exit 1; }
read -r -a to <<< "$LAYOUT"; k=0
for r in $(curl -s localhost:18301/admin/ranges | grep -o '"id":[0-9]*' | cut -d: -f2); do
  [ $k -lt ${#to[@]} ] && curl -s -X POST "localhost:18301/admin/transfer-leader?range=$r&to=${to[$k]}" >/dev/null || true
  k=$((k + 1))
done
leaders() { curl -s localhost:18301/admin/ranges | grep -o '"leader":"n[0-9]"' | cut -d'"' -f4 | tr '\n' ' '; }
echo "leaders: $(leaders)"
cat > "$WORK/req.lua" <<LUA
math.randomseed(os.time())
request = function()
  local k = string.format("k%02d%013d", math.random(0, 99), math.random(0, 9999999999999))
  if math.random() < $PUT_SHARE then return wrk.format("PUT", "/v1/kv/" .. k, nil, string.rep("v", 100)) end
  return wrk.format("GET", "/v1/kv/" .. k)
end
LUA
cpu_ticks() { local s=0 f; for p in "${PIDS[@]}"; do read -r -a f < "/proc/$p/stat"; s=$((s + f[13] + f[14])); done; echo $s; }
# Raft entries, writes, leader read messages and gets so far, summed over the nodes: one metrics fetch per node.
# Entries forwarded to the leader's node (leader-side group commit) are counted by both routers: subtracted once.
counters() { for p in 18401 18402 18403; do curl -s "localhost:$p/metrics"; done | awk '
  { s[$1] += $2 }
  END { printf "%.0f %.0f %.0f %.0f\n",
        s["omendb_group_commit_entries_total"] - s["omendb_group_commit_forwards_total"],
        s["omendb_group_commit_writes_total"] - s["omendb_group_commit_forwarded_writes_total"],
        s["omendb_read_fold_messages_total"], s["omendb_read_fold_gets_total"] }'; }
per() { [ "$(echo "$2" | bc)" = 0 ] && echo - || echo "scale=2; ($1) / ($2)" | bc; }
window() { # seconds -> one line
  local n=0 p50s="" wrks=()
  local c0 e0 w0 m0 g0 c1 e1 w1 m1 g1
  read -r e0 w0 m0 g0 <<< "$(counters)"; c0=$(cpu_ticks)
  local j=0
  for t in $TARGETS; do j=$((j + 1))
    wrk -t1 -c"$CONNS" -d"$1"s -s "$WORK/req.lua" --latency "http://127.0.0.1:1830$t" > "$WORK/w$j.out" 2>&1 &
    wrks+=($!)
  done
  wait "${wrks[@]}"
  c1=$(cpu_ticks); read -r e1 w1 m1 g1 <<< "$(counters)"
  for f in "$WORK"/w*.out; do
    n=$((n + $(awk '/requests in/ {print $1}' "$f"))); p50s="$p50s $(awk '$1 == "50%" {print $2}' "$f")"
  done
  echo "ops_per_s=$((n / $1)) p50s=[${p50s# }] node_cpu_ms_per_op=$(echo "scale=3; ($c1 - $c0) * 1000 / $(getconf CLK_TCK) / $n" | bc)" \
       "entries=$(echo "$e1 - $e0" | bc) writes_per_entry=$(per "$w1 - $w0" "$e1 - $e0")" \
       "read_messages=$(echo "$m1 - $m0" | bc) gets_per_message=$(per "$g1 - $g0" "$m1 - $m0")" \
       "load=$(cut -d' ' -f1 /proc/loadavg)"
}
echo "warm-up ${WARMUP_S} s: $(window "$WARMUP_S")"
for w in $(seq "$WINDOWS"); do echo "window $w: $(window "$WINDOW_S")"; done
echo "leaders after: $(leaders)"
