package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ReadOptions;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.statemachine.RangeStateMachine;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static io.omendb.raft.TestClusters.put;
import static io.omendb.raft.TestClusters.replicaDigestOnceReachable;
import static io.omendb.raft.TestClusters.wipe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A follower is stopped, the others write far past the snapshot threshold (so the log it would need is purged),
 * its data directory is wiped, and it is restarted: it must install the leader's snapshot, replay the log tail and
 * end with byte-identical range contents.
 */
class SnapshotCatchUpTest {
    private static final int KEYS_BEFORE = 20;
    private static final int KEYS_WHILE_DOWN = 300;
    /** Large enough that the writes fill and close 1 MB log segments, which is what purge removes. */
    private static final String PADDING = "p".repeat(6 * 1024);

    @TempDir
    Path dir;

    @Test
    void wipedFollowerCatchesUpBySnapshotInstall() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [wal]
                snapshot_threshold_entries = 50
                purge_gap_entries = 8
                snapshot_retention_count = 2
                segment_size_mb = 1
                [cluster]
                initial_split_points = ["m"]
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(60));
            for (int i = 0; i < KEYS_BEFORE; i++) {
                put(client, "a" + i, "before" + i);
                put(client, "x" + i, "before" + i);
            }
            String victim = "n3";
            cluster.stopNode(victim);
            Map<Long, Long> lastRevision = new HashMap<>();
            for (int i = 0; i < KEYS_WHILE_DOWN; i++) {
                lastRevision.put(1L, put(client, "a" + i, "down" + i + PADDING));
                lastRevision.put(2L, put(client, "x" + i, "down" + i + PADDING));
            }
            wipe(dir.resolve(victim));
            cluster.startNode(victim);
            lastRevision.put(1L, put(client, "a-tail", "tail"));
            lastRevision.put(2L, put(client, "x-tail", "tail"));

            for (RangeDescriptor r : table.ranges()) {
                long last = lastRevision.get(r.rangeId());
                byte[] reference = await(client.admin().replicaDigest(r.rangeId(), "n1", last)).sha256();
                byte[] caughtUp = replicaDigestOnceReachable(client, r.rangeId(), victim, last);
                assertArrayEquals(reference, caughtUp, "range " + r.rangeId() + " on the wiped node");
                assertInstalledSnapshot(cluster.node(victim).raftServer(), RaftGroupId.valueOf(r.groupId()));
            }
            assertArrayEquals(b("down7" + PADDING), await(client.get(b("a7"), ReadOptions.staleOn(victim,
                    lastRevision.get(1L)))).value());
        }
    }

    /** The wiped replica's state comes from a snapshot (the log before it was purged on the leader). */
    private static void assertInstalledSnapshot(RaftServer server, RaftGroupId group) throws Exception {
        RaftServer.Division d = server.getDivision(group);
        assertNotNull(d.getStateMachine().getLatestSnapshot(), "no snapshot on the wiped replica of " + group);
        assertTrue(d.getRaftLog().getStartIndex() > 1, "the wiped replica replayed the whole log of " + group);
        assertTrue(d.getStateMachine() instanceof RangeStateMachine);
    }
}
