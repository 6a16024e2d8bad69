package io.omendb.raft.client;

import io.omendb.raft.LocalCluster;
import io.omendb.raft.TestClusters;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.storage.KeyValue;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three nodes in one JVM, one range on all of them: a split under concurrent writes leaves two ranges in the table
 * (bumped epochs, the new one on a new Raft group on the same peers), every acknowledged write readable where the
 * table says, scans across the split point complete and in order, replicas of the new range identical, a second
 * split at the byte median the leader estimates; and after every node restarted, both ranges still serve every key
 * (the new groups come back from their own directories).
 */
class SplitClusterTest {
    @TempDir
    Path dir;

    @Test
    void splitUnderWritesKeepsEveryWriteAndSurvivesRestart() throws Exception {
        Map<String, String> acked = new ConcurrentHashMap<>();
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template(""));
             ClusterClient client = cluster.newClient(null)) {
            RangeTable before = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            assertEquals(1, before.ranges().size());
            RangeDescriptor parent = before.ranges().get(0);
            for (int i = 0; i < 200; i++) {
                String k = String.format("k%04d", i);
                await(client.put(b(k), b("v" + i)));
                acked.put(k, "v" + i);
            }
            WriteLoad writes = WriteLoad.start(client, acked, 400);
            Results.SplitResult split = await(client.admin().split(parent.rangeId(), b("k0200")));
            Thread.sleep(500); // writes keep going to both halves
            assertEquals(List.of(), writes.stop(), "no write failed across the split");

            assertArrayEquals(b("k0200"), split.splitKey());
            assertEquals(parent.rangeId(), split.left().rangeId());
            assertArrayEquals(b("k0200"), split.left().end());
            assertArrayEquals(b("k0200"), split.right().start());
            assertEquals(null, split.right().end());
            assertTrue(split.left().epoch() > parent.epoch() && split.right().epoch() == split.left().epoch());
            assertNotEquals(parent.groupId(), split.right().groupId());
            assertEquals(parent.peerIds(), split.right().peerIds());
            RangeTable after = client.refreshRangeTable().get();
            assertEquals(2, after.ranges().size());

            checkEveryWrite(client, acked);
            assertEquals(split.right().rangeId(), await(client.put(b("k0300"), b("x"))).rangeId());
            acked.put("k0300", "x");
            assertEquals(parent.rangeId(), await(client.put(b("k0100"), b("y"))).rangeId());
            acked.put("k0100", "y");
            long index = await(client.admin().retrainIndex(split.right().rangeId())).revision();
            byte[] digest = null;
            for (String node : cluster.nodeIds()) {
                byte[] d = TestClusters.replicaDigestOnceReachable(client, split.right().rangeId(), node, index);
                if (digest != null) {
                    assertArrayEquals(digest, d, "replicas of the new range differ on " + node);
                }
                digest = d;
            }

            Results.SplitResult second = await(client.admin().split(split.right().rangeId(), null));
            assertTrue(new String(second.splitKey()).compareTo("k0200") > 0, "the median lies inside the range");
            assertEquals(3, client.refreshRangeTable().get().ranges().size());
            checkEveryWrite(client, acked);

            restartAndCheck(cluster, acked, 3);
        }
    }

    /**
     * The new range's first leader is elected at once on the node that led the parent ({@code FirstCampaign}), not
     * by an election timer: with election timeouts of 20–40 s no replica's first-election timer fires within 5 s of
     * the group's start, so a split answered (which waits for the new range's leader) in less than that, with the
     * parent's leader leading the new range, was elected by the campaign. Before it, this split answered after 5–10 s.
     */
    @Test
    void theNewRangesFirstLeaderIsElectedAtOnceOnTheParentsLeader() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [performance]
                election_timeout_min_ms = 20000
                election_timeout_max_ms = 40000
                """));
             ClusterClient client = cluster.newClient(null)) {
            RangeDescriptor parent = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S)).ranges().get(0);
            await(client.put(b("k1"), b("v1")));
            String parentLeader = await(client.admin().rangeStatus(parent.rangeId())).leaderId();
            Results.SplitResult split = await(client.admin().split(parent.rangeId(), b("k5")));
            assertTrue(split.elapsedMs() < 5_000, "answered in " + split.elapsedMs() + " ms: the first-election "
                    + "timers (5-10 s here) elected the new range's leader, not the campaign");
            assertEquals(parentLeader, await(client.admin().rangeStatus(split.right().rangeId())).leaderId());
            await(client.put(b("k7"), b("v7")));
        }
    }

    /**
     * {@code [ranges] split_size_mb = 1}: writing about 3 MiB into the one range makes its leader's node split it on
     * its own (flushing first: the writes are still in memtables), more than once, with every write kept.
     */
    @Test
    void rangesOverTheSizeLimitSplitOnTheirOwn() throws Exception {
        Map<String, String> acked = new ConcurrentHashMap<>();
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [ranges]
                split_size_mb = 1
                split_check_interval_s = 1
                split_cooldown_s = 2
                """)); ClusterClient client = cluster.newClient(null)) {
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            String value = "x".repeat(1024);
            for (int i = 0; i < 3000; i++) {
                String k = String.format("a%05d", i);
                await(client.put(b(k), b(value + i)));
                acked.put(k, value + i);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(CALL_TIMEOUT_S * 2).toNanos();
            int ranges = 1;
            while (ranges < 3 && System.nanoTime() < deadline) {
                Thread.sleep(500);
                ranges = client.refreshRangeTable().get().ranges().size();
            }
            assertTrue(ranges >= 3, "3 MiB in ranges of at most 1 MiB: split at least twice, got " + ranges);
            checkEveryWrite(client, acked);
        }
    }

    /**
     * {@code [ranges] split_load_ops_per_s = 40}: writes that mostly go to keys "h..." (a hot spot at the top of a range
     * whose bytes lie mostly in "a...") make the leader's node split the range where the load is: at a key among the
     * hot ones, not at the byte median.
     */
    @Test
    void aHotRangeSplitsWhereTheLoadIs() throws Exception {
        Map<String, String> acked = new ConcurrentHashMap<>();
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [ranges]
                split_load_ops_per_s = 40
                split_load_window_s = 2
                split_check_interval_s = 1
                split_cooldown_s = 3600
                """)); ClusterClient client = cluster.newClient(null)) {
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            String big = "x".repeat(4096);
            List<io.omendb.storage.WriteBatch.Op> bytes = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String k = String.format("a%04d", i);
                bytes.add(new io.omendb.storage.WriteBatch.Put(b(k), b(big)));
                acked.put(k, big);
            }
            await(client.batch(bytes)); // one entry: the bytes are not load (a batch is not counted), only the writes below

            long deadline = System.nanoTime() + Duration.ofSeconds(CALL_TIMEOUT_S * 2).toNanos();
            RangeTable table = client.rangeTable();
            for (int i = 0; table.ranges().size() < 2 && System.nanoTime() < deadline; i++) {
                String k = String.format("h%04d", i % 1000);
                await(client.put(b(k), b("v" + i)));
                acked.put(k, "v" + i);
                if (i % 50 == 0) {
                    table = client.refreshRangeTable().get();
                }
            }
            assertEquals(2, table.ranges().size(), "the hot range split once (then its cool-down holds)");
            String splitKey = new String(table.ranges().get(1).start());
            assertTrue(splitKey.startsWith("h"), "split where the load is, not at the bytes' median: " + splitKey);
            checkEveryWrite(client, acked);
        }
    }

    /**
     * A replica down while its range splits, and caught up afterwards from a snapshot taken after the split (the log
     * with the split entry purged), never applies the split: its node still gets the new range's group (created empty
     * by the reconciler, filled by the new range's leader's snapshot) with the same contents as the other replicas.
     * Also when a crash left the new range's staging directory created but empty (killed between creating it and
     * staging into it, as the chaos suite's SPLIT_KILL once did): that directory must not hold the group back. And
     * when a crash left the new range's group created but never configured (killed after the node created the group
     * and before the leader's first entry reached it, as SPLIT_KILL did later): Ratis loads that directory at start
     * with no peers, and the replica must still become the member it was created as.
     */
    @ParameterizedTest(name = "left behind by a crash: {0}")
    @EnumSource(CrashLeftover.class)
    void aReplicaThatMissedTheSplitGetsTheNewRangeBySnapshot(CrashLeftover leftover) throws Exception {
        String padding = "p".repeat(6 * 1024);
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [wal]
                snapshot_threshold_entries = 50
                purge_gap_entries = 8
                segment_size_mb = 1
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeDescriptor parent = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S)).ranges().get(0);
            for (int i = 0; i < 100; i++) {
                await(client.put(b(String.format("k%04d", i)), b("v" + i)));
            }
            cluster.stopNode("n3");
            Results.SplitResult split = await(client.admin().split(parent.rangeId(), b("k0050")));
            long last = 0;
            for (int i = 0; i < 400; i++) { // both halves, far past the snapshot threshold: the split entry is purged
                last = Math.max(last, await(client.put(b(String.format("k%04d", i % 100)), b("w" + i + padding)))
                        .revision());
            }
            leftover.leave(NodeDataLayout.of(dir.resolve("n3")), split.right().groupId());
            cluster.startNode("n3");
            long rightLast = TestClusters.describingRangeOnFailure(client, split.right().rangeId(),
                    () -> await(client.put(b("k0099"), b("tail")))).revision();
            byte[] reference = await(client.admin().replicaDigest(split.right().rangeId(), "n1", rightLast)).sha256();
            assertArrayEquals(reference, TestClusters.replicaDigestOnceReachable(client, split.right().rangeId(), "n3",
                    rightLast), "n3's replica of the new range, which it never staged");
            long leftLast = await(client.put(b("k0001"), b("tail"))).revision();
            assertArrayEquals(await(client.admin().replicaDigest(parent.rangeId(), "n1", leftLast)).sha256(),
                    TestClusters.replicaDigestOnceReachable(client, parent.rangeId(), "n3", leftLast));
        }
    }

    /** What a node killed in the middle of taking part in a split may leave on its disk. */
    enum CrashLeftover {
        NOTHING,
        /** The new range's staging directory, created but empty. */
        EMPTY_STAGING {
            @Override
            void leave(NodeDataLayout node, UUID group) throws IOException {
                Files.createDirectories(node.splitStagingDir(group));
            }
        },
        /** The new range's group directory, formatted as Ratis' group creation does, with no entry or configuration. */
        UNCONFIGURED_GROUP {
            @Override
            void leave(NodeDataLayout node, UUID group) throws IOException {
                Path groupDir = Files.createDirectories(node.raftDir().resolve(group.toString()));
                try (RaftStorage storage = RaftStorage.newBuilder().setDirectory(groupDir.toFile())
                        .setOption(RaftStorage.StartupOption.FORMAT).setStorageFreeSpaceMin(SizeInBytes.ONE_MB)
                        .build()) {
                    storage.initialize();
                }
            }
        };

        void leave(NodeDataLayout node, UUID group) throws IOException {
        }
    }

    /** Restarts every node; then the table has {@code ranges} ranges and every acknowledged write is there. */
    static void restartAndCheck(LocalCluster cluster, Map<String, String> acked, int ranges) throws Exception {
        cluster.restartAll();
        try (ClusterClient restarted = cluster.newClient(null)) {
            assertEquals(ranges, restarted.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S)).ranges().size());
            checkEveryWrite(restarted, acked);
        }
    }

    /** Every acknowledged write, by linearizable get and by one scan over the whole key space. */
    static void checkEveryWrite(ClusterClient client, Map<String, String> acked) throws Exception {
        for (Map.Entry<String, String> e : acked.entrySet()) {
            assertArrayEquals(b(e.getValue()), getWithRetry(client, e.getKey()), e.getKey());
        }
        TreeMap<String, String> expected = new TreeMap<>(acked);
        List<String> scanned = new ArrayList<>();
        byte[] start = new byte[0];
        while (start != null) {
            Results.ScanResult page = await(client.scanFrom(start, null, 64, ReadOptions.linearizable()));
            for (KeyValue kv : page.entries()) {
                scanned.add(new String(kv.key()));
                assertArrayEquals(b(expected.get(new String(kv.key()))), kv.value());
            }
            start = page.nextStart() != null ? page.nextStart() : page.rangeEnd();
        }
        assertEquals(new ArrayList<>(expected.keySet()), scanned, "a scan across the split sees every key once");
    }

    /** A new range's group may still be electing its first leader right after the split: wait for it, bounded. */
    static byte[] getWithRetry(ClusterClient client, String key) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(CALL_TIMEOUT_S).toNanos();
        while (true) {
            try {
                return await(client.get(b(key), ReadOptions.linearizable())).value();
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }
}
