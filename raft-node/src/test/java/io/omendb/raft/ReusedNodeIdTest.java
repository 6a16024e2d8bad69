package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.raft.client.ClientException;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ErrorCode;
import io.omendb.raft.client.NodeAdmin;
import io.omendb.raft.client.NodeStatus;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three nodes, replication factor 3, four ranges: n4 joins and gets replicas, is decommissioned until REMOVED, and its
 * id is used again. Restarted on the data directory it was removed with, n4 stays removed and hosts no range group.
 * With its directory wiped (a new disk, or a pod whose volume was deleted) it joins again at the same addresses: it
 * takes the id back (live in {@code nodes()}), the placement driver gives it replicas again, its new incarnation is
 * recorded, and every write acknowledged meanwhile reads back. A node claiming the id at other addresses is refused
 * (INVALID_ARGUMENT), whether the id is removed or live.
 */
class ReusedNodeIdTest {
    /** How long a drain may take on a loaded machine. */
    static final long MOVES_WAIT_S = 180;
    static final int WRITERS = 2;

    @TempDir
    Path dir;

    @Test
    void aDecommissionedIdIsTakenByANewDataDirectoryAndGetsReplicasAgain() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3,
                TestClusters.template(TestClusters.FAST_PLACEMENT_FOUR_RANGES));
             ClusterClient client = cluster.newClient(null)) {
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            long removedIncarnation = cluster.join("n4").incarnation();
            // balanced, so no move is in flight: a range of four replicas could not be drained onto three nodes
            JoinTest.awaitBalanced(client);
            assertEquals("draining", await(client.admin().nodes().decommission("n4")));
            TestClusters.underWrites(client, "reuse-drain", WRITERS, acknowledged,
                    () -> awaitN4(client, n -> n.state().equals("removed"), "is removed"));

            cluster.stopNode("n4");
            cluster.startNode("n4"); // the directory it was removed with: it stays removed, holding nothing
            assertEquals("removed", awaitN4(client, n -> true, "is listed").state());
            assertHostsNoRangeGroup(cluster.node("n4"), await(client.refreshRangeTable()));
            OmenConfig.Member n4 = cluster.configOf("n4").cluster().self();
            assertEquals(NodeAdmin.Registration.REMOVED_HERE,
                    await(client.admin().nodes().register(n4, false, removedIncarnation)));
            refused(client, elsewhere(n4), removedIncarnation + 1);

            cluster.stopNode("n4");
            TestClusters.wipe(dir.resolve("n4"));
            long incarnation = TestClusters.underWrites(client, "reuse-join", WRITERS, acknowledged, () -> {
                long started = cluster.startNode("n4").incarnation();
                JoinTest.awaitBalanced(client); // n4 live again, holding its share
                return started;
            });
            assertNotEquals(removedIncarnation, incarnation);
            awaitRecordedIncarnation(client, incarnation);
            refused(client, elsewhere(n4), incarnation + 1);
            try (ClusterClient reader = cluster.newClient(null)) {
                RangeTable table = await(reader.refreshRangeTable());
                assertTrue(table.ranges().stream().anyMatch(r -> r.peerIds().contains("n4")), table.toString());
                assertTrue(acknowledged.size() > 0, "the writers wrote during the drain and the new join");
                TestClusters.assertReadsBack(reader, acknowledged);
            }
        }
    }

    /** {@code m} at new free ports. */
    private static OmenConfig.Member elsewhere(OmenConfig.Member m) {
        int[] ports = LocalCluster.freePorts(2);
        return new OmenConfig.Member(m.id(), "127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]);
    }

    private static void refused(ClusterClient client, OmenConfig.Member claim, long incarnation) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> await(client.admin().nodes().register(claim, false, incarnation)));
        ClientException ce = assertInstanceOf(ClientException.class, e.getCause());
        assertEquals(ErrorCode.INVALID_ARGUMENT, ce.code(), ce.getMessage());
        assertTrue(ce.getMessage().contains("'n4' is registered already"), ce.getMessage());
    }

    private static void assertHostsNoRangeGroup(OmenNode node, RangeTable table) {
        for (RaftGroupId g : node.hostedGroups()) {
            assertFalse(table.ranges().stream().map(RangeDescriptor::groupId).anyMatch(g.getUuid()::equals),
                    node.nodeId() + " hosts a range group " + g);
        }
    }

    /** n4's status once {@code wanted} holds of it. */
    private static NodeStatus awaitN4(ClusterClient client, Predicate<NodeStatus> wanted, String what)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MOVES_WAIT_S);
        NodeStatus n4 = null;
        while (System.nanoTime() < deadline) {
            n4 = await(client.admin().nodes().nodes()).stream().filter(n -> n.nodeId().equals("n4")).findFirst()
                    .orElse(null);
            if (n4 != null && wanted.test(n4)) {
                return n4;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("n4 " + what + " not within " + MOVES_WAIT_S + " s: " + n4);
    }

    private static void awaitRecordedIncarnation(ClusterClient client, long incarnation) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CALL_TIMEOUT_S);
        OptionalLong recorded = OptionalLong.empty();
        while (System.nanoTime() < deadline) {
            recorded = await(client.admin().nodes().recordedIncarnation("n4"));
            if (recorded.isPresent() && recorded.getAsLong() == incarnation) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("n4's incarnation " + incarnation + " not recorded: " + recorded);
    }
}
