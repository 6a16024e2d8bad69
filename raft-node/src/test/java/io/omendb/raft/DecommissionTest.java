package io.omendb.raft;

import io.omendb.raft.client.ClientException;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ErrorCode;
import io.omendb.raft.client.NodeStatus;
import io.omendb.raft.client.ReadOptions;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four nodes, replication factor 3, four ranges (n4 holds three replicas and may lead some): decommissioning n4 while
 * two writers keep writing moves every replica and leader off it (add on another node, caught up, then removed from
 * n4), after which it is recorded REMOVED, hosts no range group (nor after a restart), every range has three replicas
 * on n1..n3, and every write that was acknowledged reads back. Refusals: an unknown node (NOT_FOUND), a meta peer, and a node whose
 * departure would leave fewer members than a range's replicas (INVALID_ARGUMENT).
 */
class DecommissionTest {
    /** How long the drain of three replicas may take on a loaded machine. */
    static final long DRAIN_WAIT_S = 180;
    static final int WRITERS = 2;

    @TempDir
    Path dir;

    @Test
    void decommissionedNodeIsEmptiedUnderWritesAndLosesNoAcknowledgedWrite() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 4, 3, TestClusters.template("""
                [placement]
                leader_balance_interval_s = 0
                busy_round_interval_ms = 200
                max_moves_per_node = 2
                [cluster]
                initial_split_points = ["b", "c", "d"]
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeTable before = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            assertTrue(before.ranges().stream().filter(r -> r.peerIds().contains("n4")).count() >= 3, before.ranges()
                    .toString());
            long ledByN4 = before.ranges().stream().filter(r -> r.peerIds().contains("n4")).findFirst().orElseThrow()
                    .rangeId();
            await(client.admin().transferLeader(ledByN4, "n4")); // so that the drain must move a leader too
            refused(client, "n9", ErrorCode.NOT_FOUND);
            refused(client, "n1", ErrorCode.INVALID_ARGUMENT); // a meta peer

            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                writers.add(writer(client, w, acknowledged, stop));
            }
            writers.forEach(Thread::start);
            try {
                assertEquals("draining", await(client.admin().nodes().decommission("n4")));
                assertEquals("draining", await(client.admin().nodes().decommission("n4")), "idempotent");
                NodeStatus n4 = awaitRemoved(client);
                assertEquals(0, n4.replicas());
                assertEquals(0, n4.leaders());
            } finally {
                stop.set(true);
                for (Thread t : writers) {
                    t.join(TimeUnit.SECONDS.toMillis(CALL_TIMEOUT_S));
                }
            }

            RangeTable after = await(client.refreshRangeTable());
            for (RangeDescriptor r : after.ranges()) {
                assertEquals(3, r.peerIds().size(), r.toString());
                assertFalse(r.peerIds().contains("n4"), r.toString());
            }
            assertHostsNoRangeGroup(cluster, after);
            cluster.stopNode("n4");
            cluster.startNode("n4"); // does not re-create the initial groups it was moved off
            assertHostsNoRangeGroup(cluster, after);
            assertTrue(acknowledged.size() > 0, "the writers wrote during the drain");
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                assertArrayEquals(b(e.getValue()), await(client.get(b(e.getKey()), ReadOptions.linearizable()))
                        .value(), e.getKey());
            }
            // n1..n3 are left for ranges of 3 replicas: none of them can go
            refused(client, "n3", ErrorCode.INVALID_ARGUMENT);
        }
    }

    private static void assertHostsNoRangeGroup(LocalCluster cluster, RangeTable table) {
        for (RaftGroupId g : cluster.node("n4").hostedGroups()) {
            assertFalse(table.ranges().stream().anyMatch(r -> r.groupId().equals(g.getUuid())),
                    "n4 hosts a range group " + g);
        }
    }

    /** Writes keys over every range until {@code stop}; records each write the cluster acknowledged. */
    private static Thread writer(ClusterClient client, int id, Map<String, String> acknowledged, AtomicBoolean stop) {
        return new Thread(() -> {
            String[] prefixes = {"a", "b", "c", "d"};
            for (int i = 0; !stop.get(); i++) {
                String key = prefixes[i % prefixes.length] + "-w" + id + "-" + i;
                String value = "v" + i;
                try {
                    client.put(b(key), b(value)).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
                    acknowledged.put(key, value);
                } catch (Exception notAcknowledged) {
                    // neither counted nor checked: the write may or may not have committed
                }
            }
        }, "decommission-writer-" + id);
    }

    private static NodeStatus awaitRemoved(ClusterClient client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_WAIT_S);
        NodeStatus n4 = null;
        while (System.nanoTime() < deadline) {
            n4 = await(client.admin().nodes().nodes()).stream().filter(n -> n.nodeId().equals("n4")).findFirst()
                    .orElseThrow();
            if (n4.state().equals("removed")) {
                return n4;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("n4 was not drained within " + DRAIN_WAIT_S + " s: " + n4);
    }

    private static void refused(ClusterClient client, String node, ErrorCode expected) throws Exception {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> await(client.admin().nodes().decommission(node)));
        ClientException ce = assertInstanceOf(ClientException.class, e.getCause());
        assertEquals(expected, ce.code(), ce.getMessage());
    }
}
