package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.put;
import static io.omendb.raft.TestClusters.replicaDigestOnceReachable;
import static io.omendb.raft.TestClusters.wipe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A node that acknowledged entries of every group loses its data directory and restarts with the same id while
 * the leaders still count on what it acknowledged (their match index for it is at the end of the log), with and
 * without snapshots and log purges having happened meanwhile. Every group on it (ranges and meta) must become a
 * voting member again and reach the leader's applied index, with range contents identical to the leader's.
 */
class WipedNodeRejoinTest {
    private static final int KEYS_BEFORE = 120;
    private static final int KEYS_WHILE_DOWN = 200;
    /** Upper bound for every group of the wiped node to catch up after its restart. */
    private static final long CATCH_UP_MS_MAX = 60_000;

    @TempDir
    Path dir;

    /**
     * n3, and n1: the first meta peer, the one a fresh client of the meta group asks first; a wiped n1 must not
     * depend on its own (missing) meta replica to learn which groups to rejoin.
     */
    @ParameterizedTest(name = "snapshots and purge: {0}, wiped: {1}")
    @CsvSource({"false, n3", "true, n3", "false, n1"})
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void wipedNodeRejoinsEveryGroupAsAVoterAndCatchesUp(boolean snapshots, String victim) throws Exception {
        String wal = snapshots ? """
                [wal]
                snapshot_threshold_entries = 50
                purge_gap_entries = 8
                segment_size_mb = 1
                """ : "";
        // with snapshots, values written while the node is down fill and close 1 MB log segments, which purge removes
        String padding = snapshots ? "p".repeat(6 * 1024) : "";
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template(wal + """
                [cluster]
                initial_split_points = ["m"]
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(60));
            for (int i = 0; i < KEYS_BEFORE; i++) {
                put(client, "a" + i, "before" + i);
                put(client, "x" + i, "before" + i);
            }
            List<RaftGroupId> groups = cluster.node(victim).hostedGroups();
            assertEquals(3, groups.size(), "meta and two ranges on " + victim);
            cluster.stopNode(victim);
            wipe(dir.resolve(victim));
            for (int i = 0; i < KEYS_WHILE_DOWN; i++) {
                put(client, "a" + i, "down" + i + padding);
                put(client, "x" + i, "down" + i + padding);
            }
            cluster.startNode(victim);
            Map<Long, Long> last = new HashMap<>();
            for (int i = 0; i < 20; i++) {
                last.put(1L, put(client, "a-after" + i, "after" + i));
                last.put(2L, put(client, "x-after" + i, "after" + i));
            }

            for (RaftGroupId g : groups) {
                TestClusters.awaitCaughtUpVoter(cluster, g, victim, CATCH_UP_MS_MAX);
            }
            for (RangeDescriptor r : table.ranges()) {
                long at = last.get(r.rangeId());
                byte[] reference = await(client.admin().replicaDigest(r.rangeId(), "n2", at)).sha256();
                byte[] rejoined = replicaDigestOnceReachable(client, r.rangeId(), victim, at);
                assertArrayEquals(reference, rejoined, "range " + r.rangeId() + " on the wiped node");
            }
        }
    }
}
