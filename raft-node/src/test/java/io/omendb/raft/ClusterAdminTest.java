package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.storage.NodeDataLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.assertLinearizable;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static io.omendb.raft.TestClusters.put;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link io.omendb.raft.client.ClusterAdmin}'s membership and leadership operations on an in-JVM cluster: four
 * nodes, replication factor 3, so range 1 starts on n1..n3 and n4 can be added to it and removed again.
 */
class ClusterAdminTest {
    /** A write after a leader change must not wait for Ratis' request timeout on the old leader. */
    static final long WRITE_AFTER_TRANSFER_MS_MAX = 2_500;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void transferLeaderThenAddAndRemoveAPeerWithConvergingDigests() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 4, 3, TestClusters.template("""
                [cluster]
                initial_split_points = ["m"]
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(60));
            RangeDescriptor range = table.rangeForKey(b("a"));
            assertEquals(List.of("n1", "n2", "n3"), range.peerIds());
            for (int i = 0; i < 20; i++) {
                put(client, "a-" + i, "v" + i);
            }

            // leader transfer, to each other peer in turn; writes keep working right after each
            for (int round = 0; round < 2; round++) {
                String leader = await(client.admin().rangeStatus(range.rangeId())).leaderId();
                String target = range.peerIds().stream().filter(p -> !p.equals(leader)).findFirst().orElseThrow();
                await(client.admin().transferLeader(range.rangeId(), target));
                assertEquals(target, await(client.admin().rangeStatus(range.rangeId())).leaderId());
                long started = System.nanoTime();
                put(client, "after-transfer-" + round, "x");
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertTrue(tookMs < WRITE_AFTER_TRANSFER_MS_MAX, "first write after the transfer took " + tookMs + " ms");
            }

            // add n4: the descriptor changes (epoch + 1), n4 catches up and holds identical data
            RangeDescriptor grown = await(client.admin().addPeer(range.rangeId(), "n4"));
            assertEquals(List.of("n1", "n2", "n3", "n4"), grown.peerIds());
            assertEquals(range.epoch() + 1, grown.epoch());
            long last = put(client, "a-after-add", "w");
            byte[] reference = await(client.admin().replicaDigest(range.rangeId(), "n1", last)).sha256();
            for (String node : grown.peerIds()) {
                assertArrayEquals(reference, await(client.admin().replicaDigest(range.rangeId(), node, last)).sha256(),
                        "range " + range.rangeId() + " on " + node);
            }
            Path n4Groups = NodeDataLayout.of(dir.resolve("n4")).group(range.groupId()).root();
            assertTrue(Files.isDirectory(n4Groups), "n4 hosts the range's group: " + n4Groups);

            // remove n4 again: descriptor back to three peers, its replica and files gone, writes still commit
            RangeDescriptor shrunk = await(client.admin().removePeer(range.rangeId(), "n4"));
            assertEquals(List.of("n1", "n2", "n3"), shrunk.peerIds());
            assertEquals(grown.epoch() + 1, shrunk.epoch());
            assertFalse(cluster.node("n4").hostedGroups().stream()
                    .anyMatch(g -> g.getUuid().equals(range.groupId())), "n4 still hosts the range");
            assertFalse(Files.exists(n4Groups), "n4's files of the range were deleted");
            put(client, "a-after-remove", "z");
            assertLinearizable(client, "a-after-remove", "z");
            assertLinearizable(client, "a-7", "v7");
            assertEquals(shrunk.peerIds(), client.awaitRangeTable(Duration.ofSeconds(10))
                    .rangeForKey(b("a")).peerIds());
        }
    }
}
