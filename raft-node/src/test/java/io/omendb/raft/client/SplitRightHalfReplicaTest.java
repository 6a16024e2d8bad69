package io.omendb.raft.client;

import io.omendb.raft.LocalCluster;
import io.omendb.raft.TestClusters;
import io.omendb.raft.meta.RangeDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A replica added to a split's right half before that range took a snapshot of its own receives the range's first
 * snapshot, at index 0 ({@code RangeSplits.RIGHT_START_INDEX}), which holds every record the split gave the half. The
 * new replica's engine, created empty, is at index 0 too: it must restore the snapshot rather than take itself for
 * current (it did, and kept only the records written after the move — found by the chaos suite's KILL_FOREVER, whose
 * replacement node got such a replica).
 */
class SplitRightHalfReplicaTest {
    @TempDir
    Path dir;

    @Test
    void aReplicaAddedToAFreshRightHalfHoldsEveryRecordOfIt() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 4, 3, TestClusters.template("""
                [placement]
                leader_balance_interval_s = 0
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeDescriptor parent = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S)).rangeForKey(b("k"));
            for (int i = 0; i < 100; i++) {
                await(client.put(b(String.format("k%03d", i)), b("v" + i)));
            }
            Results.SplitResult split = await(client.admin().split(parent.rangeId(), b("k050")));
            RangeDescriptor right = split.right();
            String newcomer = List.of("n1", "n2", "n3", "n4").stream().filter(n -> !right.peerIds().contains(n))
                    .findFirst().orElseThrow();

            assertEquals(4, await(client.admin().addPeer(right.rangeId(), newcomer)).peerIds().size());
            long last = await(client.put(b("k099"), b("after the move"))).revision();
            byte[] reference = await(client.admin().replicaDigest(right.rangeId(), right.peerIds().get(0), last))
                    .sha256();
            assertArrayEquals(reference, TestClusters.replicaDigestOnceReachable(client, right.rangeId(), newcomer,
                    last), newcomer + "'s replica of the right half, added before the half took a snapshot");
        }
    }
}
