package io.omendb.raft;

import io.omendb.raft.client.ClientException;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ErrorCode;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.put;
import static io.omendb.raft.TestClusters.replicaDigestOnceReachable;
import static io.omendb.raft.TestClusters.wipe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The amnesia case the leaders' memory cannot catch: a node loses its data directory, and every other member
 * restarts too, so no leader remembers that it took part in any group. The meta group's record of its incarnation
 * does: the node must be re-admitted as a new member to the meta group and to every range — each group commits a
 * configuration without it, then one with it again — catch up, and then record its new incarnation. Two orders:
 * the wiped node starts last (the others tell it at once: it creates no group as a voter), or first (nobody answers;
 * it is caught when it comes to record its incarnation, and its replicas are replaced). Without the re-admission the
 * node recreates its groups as a voter, no configuration without it is ever committed, and this test fails.
 */
class WipedNodeAfterRestartTest {
    private static final int KEYS = 100;
    private static final long CATCH_UP_MS_MAX = 90_000;
    private static final long RECORD_MS_MAX = 60_000;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "wiped node starts first: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void wipedNodeIsReadmittedAsANewMemberAfterTheOthersRestarted(boolean wipedStartsFirst) throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [cluster]
                initial_split_points = ["m"]
                """))) {
            String victim = "n3";
            long oldIncarnation = cluster.node(victim).incarnation();
            List<RaftGroupId> groups;
            RangeTable table;
            try (ClusterClient client = cluster.newClient(null)) {
                table = client.awaitRangeTable(Duration.ofSeconds(60));
                for (int i = 0; i < KEYS; i++) {
                    put(client, "a" + i, "before" + i);
                    put(client, "x" + i, "before" + i);
                }
                for (String id : cluster.nodeIds()) {
                    awaitRecorded(client, id, cluster.node(id).incarnation());
                }
                groups = cluster.node(victim).hostedGroups();
                assertEquals(3, groups.size(), "meta and two ranges on " + victim);
            }
            Map<RaftGroupId, Long> lastIndexBefore = new HashMap<>();
            for (RaftGroupId g : groups) {
                lastIndexBefore.put(g, cluster.node("n1").raftServer().getDivision(g).getRaftLog().getLastEntryTermIndex()
                        .getIndex());
            }

            for (String id : cluster.nodeIds()) {
                cluster.stopNode(id);
            }
            wipe(dir.resolve(victim));
            if (wipedStartsFirst) {
                cluster.startNode(victim);
            }
            cluster.startNode("n1");
            cluster.startNode("n2");
            try (ClusterClient client = cluster.newClient(null)) {
                client.awaitRangeTable(Duration.ofSeconds(60));
                for (int i = 0; i < KEYS; i++) {
                    put(client, "a" + i, "restarted" + i);
                    put(client, "x" + i, "restarted" + i);
                }
                if (!wipedStartsFirst) {
                    cluster.startNode(victim);
                }
                long newIncarnation = cluster.node(victim).incarnation();
                assertNotEquals(oldIncarnation, newIncarnation, "a wiped data directory draws a new incarnation");
                Map<Long, Long> last = new HashMap<>();
                for (int i = 0; i < 20; i++) {
                    last.put(1L, put(client, "a-after" + i, "after" + i));
                    last.put(2L, put(client, "x-after" + i, "after" + i));
                }
                awaitRecorded(client, victim, newIncarnation);
                for (RaftGroupId g : groups) {
                    TestClusters.awaitCaughtUpVoter(cluster, g, victim, CATCH_UP_MS_MAX);
                    assertTrue(configurationWithout(cluster.node("n1").raftServer().getDivision(g), victim,
                            lastIndexBefore.get(g)), g + ": no configuration without " + victim + " was committed "
                            + "after it lost its data: it rejoined as the voter whose data is gone");
                }
                for (RangeDescriptor r : table.ranges()) {
                    long at = last.get(r.rangeId());
                    byte[] reference = await(client.admin().replicaDigest(r.rangeId(), "n1", at)).sha256();
                    byte[] rejoined = replicaDigestOnceReachable(client, r.rangeId(), victim, at);
                    assertArrayEquals(reference, rejoined, "range " + r.rangeId() + " on the wiped node");
                }
            }
        }
    }

    /** Whether {@code d}'s log holds, past {@code afterIndex}, a committed configuration that leaves out {@code node}. */
    private static boolean configurationWithout(RaftServer.Division d, String node, long afterIndex) throws Exception {
        long committed = d.getRaftLog().getLastCommittedIndex();
        for (long i = afterIndex + 1; i <= committed; i++) {
            LogEntryProto e = d.getRaftLog().get(i);
            if (e != null && e.hasConfigurationEntry() && e.getConfigurationEntry().getPeersList().stream()
                    .noneMatch(p -> p.getId().toStringUtf8().equals(node))) {
                return true;
            }
        }
        return false;
    }

    private static void awaitRecorded(ClusterClient client, String nodeId, long incarnation) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RECORD_MS_MAX);
        while (true) {
            OptionalLong recorded;
            try {
                recorded = await(client.admin().nodes().recordedIncarnation(nodeId));
            } catch (ExecutionException e) {
                // the meta group's configuration is changing (the node is being re-admitted to it): ask again
                assertTrue(e.getCause() instanceof ClientException ce && ce.code() == ErrorCode.UNAVAILABLE,
                        String.valueOf(e.getCause()));
                recorded = OptionalLong.empty();
            }
            if (recorded.isPresent() && recorded.getAsLong() == incarnation) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, nodeId + "'s incarnation " + incarnation + " not recorded after "
                    + RECORD_MS_MAX + " ms (recorded: " + recorded + ")");
            Thread.sleep(100);
        }
    }
}
