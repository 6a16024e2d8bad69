package io.omendb.backup;

import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.server.protocol.TermIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which layout a restore writes: the configuration's for a backup of an unsplit cluster; the backup's for a split one
 * (ids, bounds, groups from the manifest, peers by the configuration's placement, epochs from the checkpoints'
 * descriptors); refusals for ranges that do not cover the key space, for a target whose initial ranges the backup
 * lacks, and for a checkpoint whose descriptor disagrees with the manifest.
 */
class RestoreLayoutTest {
    private static final String DATABASE = "layout";
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path tmp;

    /** Four members, replication factor 3, split at "m": more members than replicas, so placement matters. */
    private static OmenConfig.Cluster cluster(String... splits) {
        List<OmenConfig.Member> members = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            members.add(new OmenConfig.Member("n" + i, "127.0.0.1:" + (7000 + i), "127.0.0.1:" + (8000 + i)));
        }
        return new OmenConfig.Cluster("n1", 3, members, List.of(splits).stream().map(RestoreLayoutTest::b).toList());
    }

    @Test
    void anUnsplitBackupKeepsTheConfiguredLayoutAndItsSeededTable() throws Exception {
        OmenConfig.Cluster cluster = cluster("m");
        BackupManifest m = manifest(range(1, "", "m", group(1)), range(2, "m", null, group(2)));
        RestoreLayout layout = RestoreLayout.of(m, cluster);
        assertFalse(layout.fromBackup());
        assertEquals(ClusterLayout.initialRanges(DATABASE, cluster).toString(), layout.ranges().toString());
        assertSame(layout, layout.withRecordedEpochs(Map.of()), "the seeded table needs no epochs");
    }

    @Test
    void aSplitBackupBringsItsOwnRangesPlacedLikeTheInitialOnes() throws Exception {
        OmenConfig.Cluster cluster = cluster("m");
        UUID child = UUID.randomUUID();
        BackupManifest m = manifest(range(1, "", "m", group(1)), range(2, "m", "t", group(2)),
                range(3, "t", null, child));
        RestoreLayout layout = RestoreLayout.of(m, cluster);
        assertTrue(layout.fromBackup());
        List<RangeDescriptor> initial = ClusterLayout.initialRanges(DATABASE, cluster);
        for (RangeDescriptor r : layout.ranges()) {
            assertEquals(ClusterLayout.placement(cluster, r.rangeId() - 1), r.peerIds(), "peers of " + r);
        }
        assertEquals(initial.get(0).peerIds(), layout.ranges().get(0).peerIds());
        assertEquals(initial.get(1).peerIds(), layout.ranges().get(1).peerIds());
        assertEquals(List.of("n3", "n4", "n1"), layout.ranges().get(2).peerIds());
        assertArrayEquals(b("t"), layout.ranges().get(1).end());
        assertEquals(child, layout.ranges().get(2).groupId());

        Map<Long, PointInTimeRestore.Replayed> points = Map.of(
                1L, checkpoint(1, new RangeBounds(1, b(""), b("m"), 1)),
                2L, checkpoint(2, new RangeBounds(2, b("m"), b("t"), 2)),
                3L, checkpoint(3, new RangeBounds(3, b("t"), null, 2)));
        List<RangeDescriptor> table = layout.withRecordedEpochs(points).ranges();
        assertEquals(List.of(1L, 2L, 2L), table.stream().map(RangeDescriptor::epoch).toList());
        assertEquals(layout.ranges().get(2).peerIds(), table.get(2).peerIds());
    }

    @Test
    void aRangeWithoutARecordedDescriptorGetsEpochOne() throws Exception {
        RestoreLayout layout = RestoreLayout.of(manifest(range(1, "", "m", group(1)), range(2, "m", "t", group(2)),
                range(3, "t", null, UUID.randomUUID())), cluster("m"));
        List<RangeDescriptor> table = layout.withRecordedEpochs(Map.of(1L, checkpoint(1, null),
                2L, checkpoint(2, new RangeBounds(2, b("m"), b("t"), 2)),
                3L, checkpoint(3, new RangeBounds(3, b("t"), null, 2)))).ranges();
        assertEquals(1, table.get(0).epoch());
    }

    @Test
    void aCheckpointDisagreeingWithTheManifestIsRefused() throws Exception {
        RestoreLayout layout = RestoreLayout.of(manifest(range(1, "", "m", group(1)), range(2, "m", "t", group(2)),
                range(3, "t", null, UUID.randomUUID())), cluster("m"));
        BackupException e = assertThrows(BackupException.class, () -> layout.withRecordedEpochs(Map.of(
                1L, checkpoint(1, new RangeBounds(1, b(""), b("m"), 1)),
                2L, checkpoint(2, new RangeBounds(2, b("m"), null, 1)),
                3L, checkpoint(3, new RangeBounds(3, b("t"), null, 2)))));
        assertEquals(BackupException.FAILED, e.exitCode());
        assertTrue(e.getMessage().contains("range 2: its checkpoint records"), e.getMessage());
    }

    @Test
    void rangesWithAGapAreRefused() {
        BackupManifest m = manifest(range(1, "", "m", group(1)), range(2, "p", null, group(2)));
        BackupException e = assertThrows(BackupException.class, () -> RestoreLayout.of(m, cluster("m")));
        assertEquals(BackupException.FAILED, e.exitCode());
        assertTrue(e.getMessage().contains("do not cover the key space"), e.getMessage());
    }

    @Test
    void aTargetWhoseInitialRangesTheBackupLacksIsRefused() {
        BackupManifest m = manifest(range(1, "", "m", group(1)), range(2, "m", "t", group(2)),
                range(3, "t", null, UUID.randomUUID()));
        BackupException e = assertThrows(BackupException.class, () -> RestoreLayout.of(m, cluster("m", "t")));
        assertEquals(BackupException.USAGE, e.exitCode());
        assertTrue(e.getMessage().contains("initial_split_points give range 3"), e.getMessage());
    }

    /** A snapshot directory at (1, 5) of an empty engine, recording {@code recordedOrNull}. */
    private PointInTimeRestore.Replayed checkpoint(long rangeId, RangeBounds recordedOrNull) throws Exception {
        Path dir = tmp.resolve("snapshot-" + rangeId);
        try (StorageEngine engine = StorageEngine.open(tmp.resolve("engine-" + rangeId), EngineOptions.defaults())) {
            SnapshotDescriptor.writeSnapshotDir(engine, dir, TermIndex.valueOf(1, 5), recordedOrNull, 0);
        }
        return new PointInTimeRestore.Replayed(1, 5, Map.of(SnapshotDescriptor.FILE_NAME,
                dir.resolve(SnapshotDescriptor.FILE_NAME)));
    }

    private static BackupManifest manifest(BackupManifest.RangeEntry... ranges) {
        return new BackupManifest(BackupManifest.FORMAT_VERSION, "b1", DATABASE, BackupManifest.Kind.FULL, null, 0,
                List.of(ranges));
    }

    private static BackupManifest.RangeEntry range(long id, String start, String endOrNull, UUID group) {
        return new BackupManifest.RangeEntry(id, HEX.formatHex(b(start)), endOrNull == null ? null
                : HEX.formatHex(b(endOrNull)), group.toString(), 1, 5, 5, "", 0, List.of());
    }

    private static UUID group(long rangeId) {
        return ClusterLayout.rangeGroupUuid(DATABASE, rangeId);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
