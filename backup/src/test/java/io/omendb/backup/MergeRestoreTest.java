package io.omendb.backup;

import io.omendb.config.OmenConfig;
import io.omendb.raft.LocalCluster;
import io.omendb.raft.OmenNode;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ReadOptions;
import io.omendb.raft.client.Results;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.raft.storage.SnapshotDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.omendb.backup.RestoreFixtures.key;
import static io.omendb.backup.RestoreFixtures.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A restore starts a new history of merges: a node splits a range, merges the halves again (the target's replica is
 * fenced to that merge), splits the union again, stops, is backed up and restored; the restored snapshots carry no merge fence, and
 * the restored cluster, whose meta group's log starts anew, merges the same target again and serves every key.
 * Automatic merges are off so that the two merges are the test's own.
 */
class MergeRestoreTest {
    private static final String DATABASE = "mergerestore";
    private static final int KEYS = 40;
    private static final long CALL_TIMEOUT_S = 60;

    @TempDir
    Path tmp;

    @Test
    void aRestoredTargetTakesTheNextMerge() throws Exception {
        OmenConfig template = RestoreFixtures.template(DATABASE, """
                [ranges]
                merge_size_mb = 0
                """);
        OmenConfig original;
        long target;
        try (LocalCluster cluster = LocalCluster.start(tmp.resolve("cluster"), 1, 1, template);
             ClusterClient client = cluster.newClient("n1")) {
            original = cluster.configOf("n1");
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            for (int i = 0; i < KEYS; i++) {
                await(client.put(key(i), value(i)));
            }
            // the merge's target is range 2, [m, +inf) split at t; a merge may not remove an initial range (restore
            // needs those), so the source is the split's right half
            target = client.rangeTable().rangeForKey(b("m")).rangeId();
            await(client.admin().split(target, b("t")));
            await(client.admin().merge(target));
            Results.SplitResult split = await(client.admin().split(target, b("t")));
            assertEquals(target, split.left().rangeId());
        }
        NodeDataLayout node = NodeDataLayout.of(original.database().dataDir());
        BackupManifest backup = RestoreFixtures.backUpStopped(tmp.resolve("backups"), node.dataDir(),
                List.of(node.dataDir()), DATABASE);
        OmenConfig restoredConfig = original.withDatabase(new OmenConfig.Database(DATABASE, tmp.resolve("restored"),
                original.database().logLevel()));
        new ClusterRestorer(new BackupRepository(tmp.resolve("backups")), line -> { }).restore(backup,
                List.of(restoredConfig), false, null, BackupCommand.STOP_THE_NODE);

        for (GroupDir g : NodeDataLayout.of(restoredConfig.database().dataDir()).groups()) {
            for (Path snapshot : GroupDir.snapshotDirs(g.stateMachineDir())) {
                assertEquals(0, SnapshotDescriptor.readFrom(snapshot).mergeFence(), "restored " + snapshot);
            }
        }
        try (OmenNode started = OmenNode.start(restoredConfig);
             ClusterClient client = ClusterClient.connect(ClientOptions.from(restoredConfig))) {
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            Results.MergeResult merged = await(client.admin().merge(target));
            RangeDescriptor union = merged.merged();
            assertNull(union.end(), "the union ends where the source did: " + union);
            for (int i = 0; i < KEYS; i++) {
                assertArrayEquals(value(i), await(client.get(key(i), ReadOptions.linearizable())).value(),
                        "key " + i);
            }
        }
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
