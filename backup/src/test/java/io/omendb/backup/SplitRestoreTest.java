package io.omendb.backup;

import io.omendb.config.OmenConfig;
import io.omendb.raft.LocalCluster;
import io.omendb.raft.OmenNode;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ReadOptions;
import io.omendb.raft.client.Results;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.omendb.backup.RestoreFixtures.key;
import static io.omendb.backup.RestoreFixtures.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backup of a cluster whose ranges were split online restores onto fresh data dirs: three nodes in one JVM write
 * keys, split a range, write more, stop, are backed up from their data dirs and restored into new ones. The restored
 * cluster's range table is the backed-up one (ids, bounds, groups, epochs, the split halves' epochs above 1), every
 * node hosts exactly the groups of that table, every key reads back, both halves take writes, and a further split
 * works (the range-id counter continues above the restored ids). Restored onto the same membership, and onto one with
 * replication factor 2, where the ranges' peers differ from the backed-up cluster's (the configuration's placement).
 */
class SplitRestoreTest {
    private static final String DATABASE = "splitrestore";
    private static final int KEYS = 60;
    private static final long CALL_TIMEOUT_S = 60;
    private static final int NODES = 3;

    @TempDir
    Path tmp;

    @Test
    void restoresTheSplitRangesAndTheirTable() throws Exception {
        splitBackUpAndRestore(NODES);
    }

    @Test
    void restoresTheSplitRangesOntoAnotherPlacement() throws Exception {
        splitBackUpAndRestore(2);
    }

    private void splitBackUpAndRestore(int targetReplicationFactor) throws Exception {
        OmenConfig template = RestoreFixtures.template(DATABASE);
        List<OmenConfig> configs = new ArrayList<>();
        RangeTable backedUp;
        try (LocalCluster cluster = LocalCluster.start(tmp.resolve("cluster"), NODES, NODES, template);
             ClusterClient client = cluster.newClient(null)) {
            cluster.nodeIds().forEach(id -> configs.add(cluster.configOf(id)));
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            putAll(client, 0, KEYS / 2);
            RangeDescriptor upper = client.rangeTable().rangeForKey(b("t"));
            Results.SplitResult split = await(client.admin().split(upper.rangeId(), b("t")));
            assertTrue(split.right().epoch() > 1, "a split raises the epoch: " + split.right());
            putAll(client, KEYS / 2, KEYS);
            backedUp = await(client.refreshRangeTable());
            assertEquals(3, backedUp.ranges().size());
        }

        List<Path> nodeDirs = configs.stream().map(c -> c.database().dataDir()).toList();
        BackupManifest backup = RestoreFixtures.backUpStopped(tmp.resolve("backups"), tmp.resolve("cluster"),
                nodeDirs, DATABASE);
        BackupRepository repo = new BackupRepository(tmp.resolve("backups"));
        assertEquals(3, backup.ranges().size());

        List<OmenConfig> targets = configs.stream().map(c -> c.withDatabase(new OmenConfig.Database(DATABASE,
                tmp.resolve("restored").resolve(c.cluster().nodeId()), c.database().logLevel())).withCluster(
                new OmenConfig.Cluster(c.cluster().nodeId(), targetReplicationFactor, c.cluster().members(),
                        c.cluster().initialSplitPoints()))).toList();
        new ClusterRestorer(repo, line -> { }).restore(backup, targets, false, null, BackupCommand.STOP_THE_NODE);

        List<OmenNode> nodes = new ArrayList<>();
        try (ClusterClient client = ClusterClient.connect(ClientOptions.from(targets.get(0)))) {
            for (OmenConfig t : targets) {
                nodes.add(OmenNode.start(t));
            }
            RangeTable restored = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            assertSameTable(backedUp, restored);
            OmenConfig.Cluster target = targets.get(0).cluster();
            for (RangeDescriptor r : restored.ranges()) {
                assertEquals(ClusterLayout.placement(target, r.rangeId() - 1), r.peerIds(), "peers of " + r);
            }
            for (OmenNode n : nodes) {
                long ranges = restored.ranges().stream().filter(r -> r.peerIds().contains(n.nodeId())).count();
                assertEquals(ranges + 1, n.hostedGroups().size(), n.nodeId()
                        + " hosts the groups of its ranges and the meta group, nothing else");
            }
            for (int i = 0; i < KEYS; i++) {
                assertArrayEquals(value(i), read(client, key(i)), "key " + i);
            }

            for (RangeDescriptor r : restored.ranges()) {
                byte[] k = concat(r.start(), "-after-restore");
                await(client.put(k, b("written to range " + r.rangeId())));
                assertArrayEquals(b("written to range " + r.rangeId()), read(client, k));
            }

            RangeDescriptor last = restored.rangeForKey(b("z"));
            Results.SplitResult again = await(client.admin().split(last.rangeId(), b("w")));
            long highest = restored.ranges().stream().mapToLong(RangeDescriptor::rangeId).max().orElseThrow();
            assertTrue(again.right().rangeId() > highest, "a new id above the restored ones: " + again.right());
            assertTrue(again.left().epoch() > last.epoch());
            assertEquals(4, await(client.refreshRangeTable()).ranges().size());
            for (int i = 0; i < KEYS; i++) {
                assertArrayEquals(value(i), read(client, key(i)), "key " + i + " after a split of the restored table");
            }
            byte[] right = b("x-after-second-split");
            await(client.put(right, b("x")));
            assertArrayEquals(b("x"), read(client, right));
        } finally {
            for (OmenNode n : nodes) {
                n.close();
            }
        }
    }

    private static void assertSameTable(RangeTable want, RangeTable got) {
        assertEquals(want.ranges().size(), got.ranges().size(), "ranges: " + got.ranges());
        for (int i = 0; i < want.ranges().size(); i++) {
            RangeDescriptor w = want.ranges().get(i);
            RangeDescriptor g = got.ranges().get(i);
            assertEquals(w.rangeId(), g.rangeId());
            assertArrayEquals(w.start(), g.start());
            assertArrayEquals(w.end(), g.end());
            assertEquals(w.groupId(), g.groupId());
            assertEquals(w.epoch(), g.epoch(), "epoch of " + w);
        }
        assertTrue(got.ranges().stream().filter(r -> r.epoch() > 1).count() >= 2, "the split halves keep their epochs");
    }

    private static void putAll(ClusterClient client, int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            await(client.put(key(i), value(i)));
        }
    }

    private static byte[] read(ClusterClient client, byte[] key) throws Exception {
        return await(client.get(key, ReadOptions.linearizable())).value();
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    }

    private static byte[] concat(byte[] prefix, String suffix) {
        byte[] s = b(suffix);
        byte[] out = new byte[prefix.length + s.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(s, 0, out, prefix.length, s.length);
        return out;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
