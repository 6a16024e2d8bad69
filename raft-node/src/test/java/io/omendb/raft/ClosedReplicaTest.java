package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.RangeDescriptor;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica Ratis closed on its own (a division shut down stays listed, refuses every request and never comes back
 * until its node restarts): n3's replica of a range is closed, and each way back must leave it a member holding
 * what the others hold. Each test fails without its change.
 */
class ClosedReplicaTest {
    @TempDir
    Path dir;

    /** A cluster of three with 50 writes in the range of "a-", whose replica on n3 is then closed. */
    private record Closed(LocalCluster cluster, ClusterClient client, RangeDescriptor range, RaftGroupId groupId,
                          OmenNode n3, Map<String, String> written) implements AutoCloseable {
        static Closed start(Path dir) throws Exception {
            LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template(""));
            ClusterClient client = cluster.newClient(null);
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            Map<String, String> written = new ConcurrentHashMap<>();
            for (int i = 0; i < 50; i++) {
                TestClusters.put(client, "a-" + i, "v" + i);
                written.put("a-" + i, "v" + i);
            }
            RangeDescriptor range = client.rangeTable().rangeForKey(TestClusters.b("a-0"));
            RaftGroupId groupId = RaftGroupId.valueOf(range.groupId());
            OmenNode n3 = cluster.node("n3");
            n3.raftServer().getDivision(groupId).close();
            assertTrue(HostedGroups.closed(n3.raftServer(), groupId), "closed, and still listed");
            return new Closed(cluster, client, range, groupId, n3, written);
        }

        /** One more write; then every replica's digest at it is the same, and every write reads back. */
        void assertReplicasAgree() throws Exception {
            long last = TestClusters.put(client, "a-last", "done");
            written.put("a-last", "done");
            byte[] first = null;
            for (String node : range.peerIds()) {
                byte[] d = TestClusters.replicaDigestOnceReachable(client, range.rangeId(), node, last);
                first = first == null ? d : first;
                assertArrayEquals(first, d, "replica on " + node + " holds what the others hold");
            }
            TestClusters.assertReadsBack(client, written);
        }

        @Override
        public void close() throws Exception {
            try (cluster; client) {
                // closed in reverse order: the client, then the cluster
            }
        }
    }

    /** The node's reconciler ({@link SplitFollowUp}) restarts it from its storage, and it catches up. */
    @Test
    void theReconcilerReopensIt() throws Exception {
        try (Closed c = Closed.start(dir)) {
            for (int i = 0; i < 50; i++) {
                TestClusters.put(c.client(), "a-while-closed-" + i, "w" + i);
                c.written().put("a-while-closed-" + i, "w" + i);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CALL_TIMEOUT_S);
            while (HostedGroups.closed(c.n3().raftServer(), c.groupId()) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertFalse(HostedGroups.closed(c.n3().raftServer(), c.groupId()), "reopened within " + CALL_TIMEOUT_S
                    + " s (the reconciler runs every " + ReplicaReconciler.RECONCILE_INTERVAL_MS + " ms)");
            c.assertReplicasAgree();
        }
    }

    /**
     * A re-admission ({@link GroupBootstrap#readmitOnce}) replaces it with a new empty replica, which the leader's
     * add-back catches up; keeping it, as an earlier try's replica is kept, stalled the add-back for good.
     */
    @Test
    void aReadmissionReplacesIt() throws Exception {
        try (Closed c = Closed.start(dir)) {
            GroupBootstrap bootstrap = new GroupBootstrap(c.cluster().configOf("n3"), c.n3().raftServer(), c.client(),
                    g -> false);
            RaftGroup group = RaftGroup.valueOf(c.groupId(), c.range().peerIds().stream()
                    .map(id -> GroupBootstrap.self(c.cluster().configOf(id))).toList());
            CompletableFuture.runAsync(() -> {
                try {
                    bootstrap.readmitOnce(group, false);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).get(CALL_TIMEOUT_S, TimeUnit.SECONDS); // kept closed, the add-back never completes
            assertFalse(HostedGroups.closed(c.n3().raftServer(), c.groupId()), "a new replica replaced the closed one");
            c.assertReplicasAgree();
        }
    }
}
