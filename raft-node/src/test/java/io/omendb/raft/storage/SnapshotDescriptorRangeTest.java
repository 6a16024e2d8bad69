package io.omendb.raft.storage;

import io.omendb.raft.command.Command;
import io.omendb.raft.range.RangeBounds;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.StorageEngine;
import io.omendb.storage.WriteBatch;
import org.apache.ratis.server.protocol.TermIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Snapshots carry the replica's range descriptor; those without one (older builds, the meta group) still read. */
class SnapshotDescriptorRangeTest {
    private static final RangeBounds RANGE = new RangeBounds(2, "g".getBytes(StandardCharsets.UTF_8), null, 4);

    @TempDir
    Path dir;

    @Test
    void theDescriptorTravelsWithTheSnapshotAndIsOptional() throws Exception {
        try (StorageEngine engine = engineWithOneRecord()) {
            SnapshotDescriptor with = SnapshotDescriptor.writeSnapshotDir(engine, dir.resolve("with"),
                    TermIndex.valueOf(1, 3), RANGE, 0);
            SnapshotDescriptor without = SnapshotDescriptor.writeSnapshotDir(engine, dir.resolve("without"),
                    TermIndex.valueOf(1, 3), null, 0);
            SnapshotDescriptor fenced = SnapshotDescriptor.writeSnapshotDir(engine, dir.resolve("fenced"),
                    TermIndex.valueOf(1, 3), RANGE, 77);
            assertEquals(with, SnapshotDescriptor.readFrom(dir.resolve("with")));
            assertEquals(RANGE, SnapshotDescriptor.readFrom(dir.resolve("with")).rangeOrNull());
            assertNull(SnapshotDescriptor.readFrom(dir.resolve("without")).rangeOrNull());
            assertEquals(without, SnapshotDescriptor.readFrom(dir.resolve("without")));
            // a descriptor without a range is byte for byte what builds before ranges wrote (kind 1)
            assertEquals(1, Files.readAllBytes(dir.resolve("without").resolve(SnapshotDescriptor.FILE_NAME))[1]);
            assertEquals(2, Files.readAllBytes(dir.resolve("with").resolve(SnapshotDescriptor.FILE_NAME))[1]);
            // a merge fence (a merge's target in the middle of its copy) is kept, as a third kind
            assertEquals(fenced, SnapshotDescriptor.readFrom(dir.resolve("fenced")));
            assertEquals(77, SnapshotDescriptor.readFrom(dir.resolve("fenced")).mergeFence());
            assertEquals(0, SnapshotDescriptor.readFrom(dir.resolve("with")).mergeFence());
            assertEquals(3, Files.readAllBytes(dir.resolve("fenced").resolve(SnapshotDescriptor.FILE_NAME))[1]);
        }
    }

    @Test
    void aRestoreClearsTheMergeFenceAndKeepsTheRest() throws Exception {
        try (StorageEngine engine = engineWithOneRecord()) {
            long claimedAt = Command.MergeData.idOfClaim(1_234);
            SnapshotDescriptor fenced = SnapshotDescriptor.writeSnapshotDir(engine, dir.resolve("fenced"),
                    TermIndex.valueOf(1, 3), RANGE, claimedAt);
            assertEquals(claimedAt, SnapshotDescriptor.readFrom(dir.resolve("fenced")).mergeFence(),
                    "an ordered (negative) id is kept as it is");
            SnapshotDescriptor cleared = SnapshotDescriptor.clearMergeFence(dir.resolve("fenced"));
            assertEquals(new SnapshotDescriptor(fenced.term(), fenced.index(), fenced.engineAppliedIndex(),
                    fenced.files(), RANGE, 0), cleared);
            assertEquals(cleared, SnapshotDescriptor.readFrom(dir.resolve("fenced")));
            assertEquals(cleared, SnapshotDescriptor.clearMergeFence(dir.resolve("fenced")), "idempotent");
        }
    }

    private StorageEngine engineWithOneRecord() throws Exception {
        StorageEngine engine = StorageEngine.open(dir.resolve("engine"), EngineOptions.defaults());
        engine.apply(new WriteBatch().put("k".getBytes(StandardCharsets.UTF_8), new byte[] {1}), 1);
        engine.flush();
        return engine;
    }
}
