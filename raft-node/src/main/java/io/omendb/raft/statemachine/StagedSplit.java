package io.omendb.raft.statemachine;

import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;
import io.omendb.storage.FileOps;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.UUID;

/**
 * The right half of a split as its parent replica leaves it for the new range's Raft group, in
 * {@code raft-staging/<group uuid>/} ({@code NodeDataLayout#splitStagingDir}): {@code engine/}, the right engine made
 * by {@code StorageEngine#splitOff} (hard links, its manifest the split's commit point), and {@code SPLIT}, this record
 * (checksummed frame, written after the engine and fsynced): which group, which bounds, split at which parent index.
 *
 * <p>The record is written only once the engine is committed, so a record always names a complete engine; the right
 * group's replica adopts both when it starts ({@code RangeStateMachine#initialize}) and deletes the directory last.
 * Deterministic: every replica of the parent writes the same record for the same split entry. Immutable.
 *
 * @param group       the new range's Raft group
 * @param left        the parent's bounds after the split
 * @param right       the new range's bounds
 * @param splitIndex  the parent's log index of the split entry
 */
public record StagedSplit(UUID group, RangeBounds left, RangeBounds right, long splitIndex) {
    static final String RECORD_FILE = "SPLIT";
    static final String ENGINE_DIR = "engine";
    private static final int KIND = 1;

    /** The staged right engine in {@code stagingDir}. */
    public static Path engineDir(Path stagingDir) {
        return stagingDir.resolve(ENGINE_DIR);
    }

    /** Writes the record into {@code stagingDir} (temp file, fsync, rename, fsync directory). */
    void writeTo(Path stagingDir, boolean fsync) throws IOException {
        FrameWriter w = new FrameWriter(KIND).writeVarLong(group.getMostSignificantBits())
                .writeVarLong(group.getLeastSignificantBits()).writeVarLong(splitIndex);
        RangeBounds.write(w, left);
        RangeBounds.write(w, right);
        Path tmp = stagingDir.resolve(RECORD_FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(w.finish());
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            if (fsync) {
                ch.force(true);
            }
        }
        Files.move(tmp, stagingDir.resolve(RECORD_FILE), StandardCopyOption.ATOMIC_MOVE);
        if (fsync) {
            FileOps.fsync(stagingDir);
        }
    }

    /** The record in {@code stagingDir}; empty when there is none (not written yet). A corrupt record is an error. */
    public static Optional<StagedSplit> readFrom(Path stagingDir) throws IOException {
        Path file = stagingDir.resolve(RECORD_FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            FrameReader r = new FrameReader(Files.readAllBytes(file));
            if (r.kind() != KIND) {
                throw new CorruptFrameException("unknown split record kind " + r.kind());
            }
            UUID group = new UUID(r.readVarLong(), r.readVarLong());
            long index = r.readVarLong();
            RangeBounds left = RangeBounds.read(r);
            RangeBounds right = RangeBounds.read(r);
            r.expectEnd();
            return Optional.of(new StagedSplit(group, left, right, index));
        } catch (CorruptFrameException e) {
            throw new IOException("corrupt split record " + file + ": " + e.getMessage(), e);
        }
    }
}
