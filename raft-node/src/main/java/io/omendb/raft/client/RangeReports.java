package io.omendb.raft.client;

import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The status of every range of a table at the cost of one call per node: each node named by the table is asked once
 * for all the replicas it hosts ({@link Query.HostedReplicas}, a stale read sent to one of its groups), and each
 * range's replicas are picked out of those answers by group id. What {@code GET /admin/ranges} shows; asking every
 * replica of every range (a role call and a status read each, plus a size read per range) made a listing of 64 ranges
 * outlast the request deadline.
 *
 * <p><b>Guarantees.</b> Completes, never fails, within {@code nodeTimeoutMs} plus the assembly: a node that does not
 * answer in time shows each of its replicas as {@code UNREACHABLE} with the reason, as does a node that answered but
 * does not host the range's group (a table newer than the node) or whose replica's engine is not open (installing a
 * snapshot). A range's leader is the replica that reports the LEADER role; its size and load are the leader's own
 * counters (not a linearizable read: statistics). Stateless and thread-safe; no thread is held while waiting.
 */
final class RangeReports {
    private final ClusterClient client;

    RangeReports(ClusterClient client) {
        this.client = client;
    }

    /** Every range of {@code table}, in the table's order. */
    CompletableFuture<List<Results.RangeReport>> of(RangeTable table, long nodeTimeoutMs) {
        Map<String, RangeDescriptor> askVia = new LinkedHashMap<>();
        table.ranges().forEach(r -> r.peerIds().forEach(node -> askVia.putIfAbsent(node, r)));
        Map<String, CompletableFuture<Map<UUID, QueryResult.HostedReplica>>> byNode = new HashMap<>();
        askVia.forEach((node, r) -> byNode.put(node, hostedBy(node, r, nodeTimeoutMs)));
        return CompletableFuture.allOf(byNode.values().toArray(CompletableFuture[]::new)).handle((v, e) -> {
            List<Results.RangeReport> out = new ArrayList<>();
            for (RangeDescriptor r : table.ranges()) {
                out.add(report(r, byNode));
            }
            return out;
        });
    }

    /** What {@code node} hosts, by group id, asked through its replica of {@code r}. */
    private CompletableFuture<Map<UUID, QueryResult.HostedReplica>> hostedBy(String node, RangeDescriptor r,
                                                                             long timeoutMs) {
        CompletableFuture<QueryResult> answer;
        try {
            answer = client.read(r, new Query.HostedReplicas(), ReadOptions.staleOn(node, 0));
        } catch (ClientException e) { // a node the table names but this client does not know: shown unreachable
            return CompletableFuture.failedFuture(e);
        }
        return client.threads().retryTime().orTimeout(answer, timeoutMs).thenApply(res -> {
            Map<UUID, QueryResult.HostedReplica> hosted = new HashMap<>();
            ((QueryResult.HostedReplicas) res).replicas().forEach(h -> hosted.put(h.group(), h));
            return hosted;
        });
    }

    private static Results.RangeReport report(
            RangeDescriptor r, Map<String, CompletableFuture<Map<UUID, QueryResult.HostedReplica>>> byNode) {
        List<Results.ReplicaStatus> replicas = new ArrayList<>();
        QueryResult.HostedReplica leader = null;
        String leaderId = null;
        for (String node : r.peerIds()) {
            CompletableFuture<Map<UUID, QueryResult.HostedReplica>> answer = byNode.get(node);
            if (answer.isCompletedExceptionally()) {
                Throwable t = answer.handle((ok, e) -> e).join();
                replicas.add(unreachable(node, String.valueOf(Failures.rootCause(t))));
                continue;
            }
            QueryResult.HostedReplica h = answer.join().get(r.groupId());
            if (h == null || h.statsOrNull() == null) {
                replicas.add(unreachable(node, h == null ? "node " + node + " does not host the group of range "
                        + r.rangeId() : "the replica's engine is not open (installing a snapshot)"));
                continue;
            }
            replicas.add(new Results.ReplicaStatus(node, h.role(), h.appliedIndex(), h.statsOrNull(), null));
            if (leader == null && "LEADER".equals(h.role())) {
                leader = h;
                leaderId = node;
            }
        }
        QueryResult.Size size = leader == null ? null : new QueryResult.Size(leader.dataBytes(), leader.opsPerSecond(),
                leader.appliedIndex());
        return new Results.RangeReport(new Results.RangeStatus(r, leaderId, replicas), size);
    }

    private static Results.ReplicaStatus unreachable(String node, String why) {
        return new Results.ReplicaStatus(node, "UNREACHABLE", -1, null, why);
    }
}
