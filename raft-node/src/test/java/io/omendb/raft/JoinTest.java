package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.NodeAdmin;
import io.omendb.raft.client.NodeStatus;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three nodes, replication factor 3, four ranges, under two writers: n4, which no other node's config names, joins
 * with {@code [cluster] join = true}. It registers in the meta group and bootstraps no group of its own; the placement
 * driver moves replicas onto it until every node holds within one of the mean (3 of the 12); a range led from it takes
 * writes; every acknowledged write reads back. After every node restarts, a client configured with n1..n3 only learns
 * n4's address from the meta group, lists it in {@code nodes()}, reads every write, including from ranges n4 leads,
 * and can start decommissioning it.
 * A node joining with an id already taken (a joined node's, or a configured member's) is refused at start.
 */
class JoinTest {
    /** How long the balance may take on a loaded machine (three replica copies, two at a time). */
    static final long BALANCE_WAIT_S = 180;
    static final int WRITERS = 2;
    static final int RANGES = 4;
    static final int REPLICATION = 3;

    @TempDir
    Path dir;

    @Test
    void aNodeInNobodysConfigJoinsGetsReplicasAndStaysAcrossARestartOfEveryNode() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, REPLICATION,
                TestClusters.template(TestClusters.FAST_PLACEMENT_FOUR_RANGES));
             ClusterClient client = cluster.newClient(null)) {
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                writers.add(TestClusters.writer(client, "join", w, acknowledged, stop));
            }
            writers.forEach(Thread::start);
            try {
                OmenNode n4 = cluster.join("n4");
                assertFalse(n4.hostedGroups().contains(metaGroup(cluster)), "a joining node is no meta peer");
                NodeStatus status = awaitBalanced(client);
                assertTrue(status.replicas() >= 2, status.toString());
                assertEquals(n4.config().cluster().self().raftAddress(), status.raftAddress());
                RangeDescriptor onN4 = await(client.refreshRangeTable()).ranges().stream()
                        .filter(r -> r.peerIds().contains("n4")).findFirst().orElseThrow();
                await(client.admin().transferLeader(onN4.rangeId(), "n4"));
                await(client.put(onN4.start().length == 0 ? b("a-led-by-n4") : onN4.start(), b("led")));
            } finally {
                stop.set(true);
                for (Thread t : writers) {
                    t.join(TimeUnit.SECONDS.toMillis(CALL_TIMEOUT_S));
                }
            }
            assertTrue(acknowledged.size() > 0, "the writers wrote while n4 joined");
            assertEveryWriteReadsBack(cluster, acknowledged);

            cluster.restartAll();
            for (String id : List.of("n1", "n2", "n3")) {
                assertTrue(cluster.configOf(id).cluster().member("n4").isEmpty(), id + "'s config names n4");
            }
            assertEveryWriteReadsBack(cluster, acknowledged);
            try (ClusterClient fresh = cluster.newClient(null)) {
                NodeStatus n4 = await(fresh.admin().nodes().nodes()).stream().filter(n -> n.nodeId().equals("n4"))
                        .findFirst().orElseThrow();
                assertEquals(cluster.configOf("n4").cluster().self().raftAddress(), n4.raftAddress());
                assertTrue(n4.replicas() >= 2, n4.toString());
                // a joined member can be decommissioned like a configured one (the drain itself: DecommissionTest)
                assertEquals("draining", await(fresh.admin().nodes().decommission("n4")));
            }
        }
    }

    /**
     * Four configured nodes (n4 outside the meta group) and n5 joined: a node joining as n5 at another address, or as
     * n4 (a configured member, which registered itself when it started), is refused at start, naming the record; n5
     * registering again at its own addresses with another zone (a restart after relabelling) replaces its record.
     */
    @Test
    void aJoiningNodeWhoseIdIsTakenIsRefused() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 4, REPLICATION, TestClusters.template(""));
             ClusterClient client = cluster.newClient(null)) {
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            long incarnation = cluster.join("n5").incarnation();
            OmenConfig.Member n5 = cluster.configOf("n5").cluster().self();
            assertEquals(NodeAdmin.Registration.RECORDED, await(client.admin().nodes().register(n5.withZone("z2"),
                    false, incarnation)), "a joined node restarting with another zone (same addresses) re-registers");
            IOException joined = assertThrows(IOException.class, () -> OmenNode.start(joining(cluster, "n5")));
            assertTrue(joined.getMessage().contains("'n5' is registered already"), joined.getMessage());
            for (String configured : List.of("n1", "n2", "n3", "n4")) {
                awaitRegistered(client, configured); // each registers in the background once the meta group answers
            }
            IOException configured = assertThrows(IOException.class, () -> OmenNode.start(joining(cluster, "n4")));
            assertTrue(configured.getMessage().contains("'n4' is registered already"), configured.getMessage());
            List<OmenConfig.Member> registered = await(client.admin().nodes().registeredMembers());
            assertEquals(List.of("n1", "n2", "n3", "n4", "n5"),
                    registered.stream().map(OmenConfig.Member::id).toList());
            assertEquals(n5.withZone("z2"), registered.get(4));
        }
    }

    /**
     * A config for another node calling itself {@code id}, joining through the meta peers n1..n3, on new free ports,
     * under {@code <dir>/other-<id>}.
     */
    private OmenConfig joining(LocalCluster cluster, String id) {
        OmenConfig first = cluster.configOf("n1");
        int[] ports = LocalCluster.freePorts(2);
        List<OmenConfig.Member> members = new ArrayList<>(first.cluster().metaPeers());
        members.add(new OmenConfig.Member(id, "127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]));
        return first.withDatabase(new OmenConfig.Database(first.database().name(), dir.resolve("other-" + id),
                        first.database().logLevel()))
                .withHttp(new OmenConfig.Http("127.0.0.1", ports[1], first.http().maxConnections()))
                .withCluster(new OmenConfig.Cluster(id, REPLICATION, members, List.of(), true));
    }

    private static void awaitRegistered(ClusterClient client, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CALL_TIMEOUT_S);
        while (await(client.admin().nodes().registeredMembers()).stream().noneMatch(m -> m.id().equals(id))) {
            assertTrue(System.nanoTime() < deadline, id + " did not register");
            Thread.sleep(100);
        }
    }

    private static RaftGroupId metaGroup(LocalCluster cluster) {
        return ClusterLayout.metaGroupId(cluster.configOf("n1").database().name());
    }

    /**
     * Waits until every member holds within one of the mean number of replicas (n4 included, as a live member) and
     * every range has its three replicas; returns n4's status then.
     */
    static NodeStatus awaitBalanced(ClusterClient client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BALANCE_WAIT_S);
        List<NodeStatus> nodes = List.of();
        double mean = (double) RANGES * REPLICATION / 4;
        while (System.nanoTime() < deadline) {
            nodes = await(client.admin().nodes().nodes());
            RangeTable table = await(client.refreshRangeTable());
            boolean balanced = nodes.size() == 4 && nodes.stream().allMatch(n -> n.state().equals("live")
                    && Math.abs(n.replicas() - mean) <= 1);
            if (balanced && table.ranges().stream().allMatch(r -> r.peerIds().size() == REPLICATION)) {
                return nodes.stream().filter(n -> n.nodeId().equals("n4")).findFirst().orElseThrow();
            }
            Thread.sleep(250);
        }
        throw new AssertionError("not balanced within " + BALANCE_WAIT_S + " s: " + nodes);
    }

    /** Every acknowledged write reads back (linearizable), through a new client configured with n1..n3 only. */
    private static void assertEveryWriteReadsBack(LocalCluster cluster, Map<String, String> acknowledged)
            throws Exception {
        try (ClusterClient reader = cluster.newClient(null)) {
            for (RangeDescriptor r : reader.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S)).ranges()) {
                assertEquals(REPLICATION, r.peerIds().size(), r.toString());
            }
            TestClusters.assertReadsBack(reader, acknowledged);
        }
    }
}
