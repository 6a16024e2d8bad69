package io.omendb.backup;

import io.omendb.raft.archive.ArchiveFiles;
import io.omendb.raft.archive.GroupLogArchiver;
import io.omendb.raft.archive.LogArchiveReader;
import io.omendb.raft.storage.NodeDataLayout;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.MetadataProto;
import org.apache.ratis.server.raftlog.segmented.SegmentedRaftLogOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Manifest integrity, listing order, chains and retention on a backup directory with hand-made backups. */
class BackupRepositoryTest {
    private static final long DAY_MS = 86_400_000L;
    private static final long NOW = 1_790_000_000_000L;

    @TempDir
    Path dir;

    private BackupManifest make(BackupRepository repo, String id, String parent, long createdAt) throws Exception {
        Path staging = repo.begin(id);
        Files.createDirectories(staging.resolve("range-1"));
        Files.writeString(staging.resolve("range-1").resolve("seg-" + id), id);
        List<BackupManifest.FileEntry> files = new ArrayList<>();
        files.add(new BackupManifest.FileEntry("seg-" + id, id.length(), Checksums.sha256Hex(id.getBytes()), id));
        if (parent != null) {
            BackupManifest p = repo.load(parent);
            files.addAll(p.ranges().get(0).files());
        }
        BackupManifest m = new BackupManifest(BackupManifest.FORMAT_VERSION, id, "db",
                parent == null ? BackupManifest.Kind.FULL : BackupManifest.Kind.INCREMENTAL, parent, createdAt,
                List.of(new BackupManifest.RangeEntry(1, "", null, "00000000-0000-0000-0000-000000000001", 1, 10, 9,
                        "00", 0, files)));
        repo.commit(staging, m);
        return m;
    }

    @Test
    void listsNewestFirstAndDetectsAFlippedManifestByte() throws Exception {
        BackupRepository repo = new BackupRepository(dir);
        make(repo, "a-full", null, NOW - 2 * DAY_MS);
        make(repo, "b-incr", "a-full", NOW - DAY_MS);
        List<String> damaged = new ArrayList<>();
        assertEquals(List.of("b-incr", "a-full"), repo.list(damaged).stream().map(BackupManifest::backupId).toList());
        assertEquals(2, repo.chain(repo.load("b-incr")).size());

        Path manifest = dir.resolve("a-full").resolve(BackupManifest.FILE_NAME);
        byte[] bytes = Files.readAllBytes(manifest);
        bytes[bytes.length - 5] ^= 0x01;
        Files.write(manifest, bytes);
        BackupException e = assertThrows(BackupException.class, () -> repo.load("a-full"));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        BackupException chain = assertThrows(BackupException.class, () -> repo.chain(repo.load("b-incr")));
        assertTrue(chain.getMessage().contains("broken chain"), chain.getMessage());
        assertEquals(List.of("b-incr"), repo.list(damaged).stream().map(BackupManifest::backupId).toList());
        assertEquals(1, damaged.size());
    }

    @Test
    void unfinishedBackupsAreInvisible() throws Exception {
        BackupRepository repo = new BackupRepository(dir);
        repo.begin("x-full");
        assertTrue(repo.list(new ArrayList<>()).isEmpty());
        assertThrows(BackupException.class, () -> repo.load("x-full"));
    }

    @Test
    void cleanupNeverRemovesAParentAKeptBackupNeeds() throws Exception {
        BackupRepository repo = new BackupRepository(dir);
        make(repo, "old-full", null, NOW - 30 * DAY_MS);
        make(repo, "old-incr", "old-full", NOW - 20 * DAY_MS);
        make(repo, "base-full", null, NOW - 10 * DAY_MS);
        make(repo, "new-incr", "base-full", NOW - DAY_MS);
        BackupCleaner cleaner = new BackupCleaner(repo, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
                dir.resolve(BackupRepository.LOG_ARCHIVE_DIR));
        BackupCleaner.Plan plan = cleaner.plan(7);
        assertEquals(List.of("old-incr", "old-full"), plan.delete().stream().map(BackupManifest::backupId).toList());
        assertEquals(List.of("base-full"), plan.keptForChain().stream().map(BackupManifest::backupId).toList());
        cleaner.execute(plan);
        assertEquals(List.of("new-incr", "base-full"), repo.list(new ArrayList<>()).stream()
                .map(BackupManifest::backupId).toList());
        assertEquals(2, repo.chain(repo.load("new-incr")).size());
    }

    @Test
    void cleanupPrunesOnlyArchivedLogBelowEveryKeptCheckpoint() throws Exception {
        BackupRepository repo = new BackupRepository(dir);
        make(repo, "kept-full", null, NOW - DAY_MS); // range 1 of group ...0001 at index 10
        Path log = Files.createDirectories(dir.resolve(".node-log")); // hidden: not taken for a damaged backup
        for (long[] seg : new long[][] {{0, 4}, {5, 9}, {10, 14}, {15, 19}}) {
            try (SegmentedRaftLogOutputStream out = new SegmentedRaftLogOutputStream(log.resolve("log_" + seg[0] + "-"
                    + seg[1]).toFile(), false, Long.MAX_VALUE, 0, ByteBuffer.allocate(1 << 16))) {
                for (long i = seg[0]; i <= seg[1]; i++) {
                    out.write(LogEntryProto.newBuilder().setTerm(1).setIndex(i)
                            .setMetadataEntry(MetadataProto.newBuilder().setCommitIndex(i)).build());
                }
            }
        }
        Path archive = dir.resolve(BackupRepository.LOG_ARCHIVE_DIR);
        for (String group : List.of("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002")) {
            GroupLogArchiver a = new GroupLogArchiver(log, NodeDataLayout.archiveNodeDir(archive, UUID.fromString(group), "n1"),
                    1 << 16, () -> NOW);
            for (long upTo : new long[] {4, 9, 12, 19}) {
                a.archiveThrough(upTo);
            }
        }
        BackupCleaner cleaner = new BackupCleaner(repo, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
                archive);
        BackupCleaner.Plan plan = cleaner.plan(7);
        assertEquals(List.of("log_0-4", "log_5-9"), plan.archive().stream()
                .map(f -> f.path().getFileName().toString()).sorted().toList(),
                "group 1: only files wholly below the kept backup's index 10; group 2 (no backup): none");
        cleaner.execute(plan);
        List<Long> left = new ArrayList<>();
        new LogArchiveReader(archive, UUID.fromString("00000000-0000-0000-0000-000000000001"), w -> { })
                .read(10, e -> left.add(e.getIndex()));
        assertEquals(10, left.size(), "entries 10..19 are still readable from the kept backup's checkpoint");
        assertEquals(5, ArchiveFiles.list(NodeDataLayout.archiveNodeDir(archive,
                UUID.fromString("00000000-0000-0000-0000-000000000002"), "n1")).size());
    }
}
