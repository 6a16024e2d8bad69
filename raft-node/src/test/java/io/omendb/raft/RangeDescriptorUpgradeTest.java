package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.statemachine.RangeStateMachine;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.assertLinearizable;
import static io.omendb.raft.TestClusters.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The upgrade: a cluster whose data directories were written the way builds before range descriptors wrote them (no
 * descriptor entry in any range's log, snapshots without a descriptor) keeps its data, and once restarted with today's
 * nodes every range's log records its descriptor from the range table; the descriptor then survives a restart (from
 * the snapshots taken after it, and the log).
 */
class RangeDescriptorUpgradeTest {
    private static final int KEYS = 60;
    /** How long replicas may take to apply the descriptor entry after the nodes started. */
    private static final long RECORDED_WAIT_S = 60;

    @TempDir
    Path dir;

    @Test
    void rangesOfAnOldDataDirectoryRecordTheirDescriptorAfterTheUpgrade() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [cluster]
                initial_split_points = ["m"]
                [wal]
                snapshot_threshold_entries = 20
                """), (id, c) -> c, false)) {
            RangeTable table;
            try (ClusterClient client = cluster.newClient(null)) {
                table = client.awaitRangeTable(Duration.ofSeconds(60));
                for (int i = 0; i < KEYS; i++) {
                    put(client, key(i), "old" + i);
                }
            }
            for (String node : cluster.nodeIds()) {
                for (RangeDescriptor r : table.ranges()) {
                    assertNull(replica(cluster, node, r).rangeDescriptor(), "an old-layout replica has no descriptor");
                }
            }
            for (String node : cluster.nodeIds()) {
                cluster.stopNode(node);
            }

            for (String node : cluster.nodeIds()) {
                cluster.startNode(node);
            }
            awaitDescriptors(cluster, table);
            try (ClusterClient client = cluster.newClient(null)) {
                client.awaitRangeTable(Duration.ofSeconds(60));
                for (int i = 0; i < KEYS; i++) {
                    assertLinearizable(client, key(i), "old" + i);
                }
                for (int i = 0; i < KEYS; i++) {
                    put(client, key(i), "new" + i); // past the snapshot threshold: snapshots now carry the descriptor
                }
            }

            cluster.stopNode("n2");
            cluster.startNode("n2");
            awaitDescriptors(cluster, table);
            try (ClusterClient client = cluster.newClient(null)) {
                client.awaitRangeTable(Duration.ofSeconds(60));
                for (int i = 0; i < KEYS; i++) {
                    assertLinearizable(client, key(i), "new" + i);
                }
            }
        }
    }

    /** Waits (bounded) until every replica of every range has recorded the table's descriptor of its range. */
    private static void awaitDescriptors(LocalCluster cluster, RangeTable table) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RECORDED_WAIT_S);
        for (String node : cluster.nodeIds()) {
            for (RangeDescriptor r : table.ranges()) {
                RangeBounds recorded;
                while ((recorded = replica(cluster, node, r).rangeDescriptor()) == null
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertEquals(r.bounds(), recorded, node + " " + r);
            }
        }
    }

    private static RangeStateMachine replica(LocalCluster cluster, String node, RangeDescriptor r) throws Exception {
        return (RangeStateMachine) cluster.node(node).raftServer().getDivision(RaftGroupId.valueOf(r.groupId()))
                .getStateMachine();
    }

    private static String key(int i) {
        return (i % 2 == 0 ? "a" : "t") + i;
    }
}
