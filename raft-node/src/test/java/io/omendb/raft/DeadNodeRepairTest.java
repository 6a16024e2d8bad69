package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.NodeStatus;
import io.omendb.raft.client.ReadOptions;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Four nodes, replication factor 3, four ranges, {@code [placement] node_dead_after_s = 15}: n4 stops and does not come
 * back within the limit, so the meta leader's placement driver records it dead and every range that had a replica on
 * it gets one on another node, back to three replicas on n1..n3, with every acknowledged write readable (RPO 0 for
 * the loss of one node, and the range is back to full redundancy on its own). When n4 returns it stays dead: it is
 * given no replica.
 */
class DeadNodeRepairTest {
    /** How long the repair may take on a loaded machine (15 s to be declared dead, then one copy per range). */
    static final long REPAIR_WAIT_S = 180;

    @TempDir
    Path dir;

    @Test
    void aNodeGoneForGoodHasItsReplicasRecreatedElsewhere() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 4, 3, TestClusters.template("""
                [placement]
                leader_balance_interval_s = 0
                busy_round_interval_ms = 200
                node_dead_after_s = 15
                [cluster]
                initial_split_points = ["b", "c", "d"]
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeTable before = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            long onN4 = before.ranges().stream().filter(r -> r.peerIds().contains("n4")).count();
            Map<String, String> written = new LinkedHashMap<>();
            for (int i = 0; i < 200; i++) {
                String key = new String[]{"a", "b", "c", "d"}[i % 4] + "-" + i;
                await(client.put(b(key), b("v" + i)));
                written.put(key, "v" + i);
            }

            cluster.stopNode("n4");
            RangeTable repaired = awaitWithoutN4(client);
            for (RangeDescriptor r : repaired.ranges()) {
                assertEquals(3, r.peerIds().size(), r.toString());
            }
            NodeStatus n4 = await(client.admin().nodes().nodes()).stream().filter(n -> n.nodeId().equals("n4"))
                    .findFirst().orElseThrow();
            assertEquals("dead", n4.state(), n4.toString());
            for (Map.Entry<String, String> e : written.entrySet()) {
                assertArrayEquals(b(e.getValue()), await(client.get(b(e.getKey()), ReadOptions.linearizable())).value(),
                        e.getKey());
            }

            cluster.startNode("n4");
            Thread.sleep(3_000); // rounds at the busy pace: n4 answers again, and still gets nothing
            RangeTable after = client.refreshRangeTable().get();
            for (RangeDescriptor r : after.ranges()) {
                assertFalse(r.peerIds().contains("n4"), "a dead node that came back was given " + r);
            }
            assertEquals(true, onN4 >= 1, "the layout put replicas on n4: " + before.ranges());
        }
    }

    private static RangeTable awaitWithoutN4(ClusterClient client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(REPAIR_WAIT_S);
        RangeTable table = client.refreshRangeTable().get();
        while (table.ranges().stream().anyMatch(r -> r.peerIds().contains("n4") || r.peerIds().size() < 3)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("ranges not re-replicated off the dead n4 within " + REPAIR_WAIT_S + " s: "
                        + table.ranges());
            }
            Thread.sleep(500);
            table = client.refreshRangeTable().get();
        }
        return table;
    }
}
