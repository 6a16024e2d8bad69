package io.omendb.raft.storage;

import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;
import io.omendb.storage.CheckpointInfo;
import io.omendb.storage.FileOps;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.server.protocol.TermIndex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The checksummed table of contents of one range snapshot directory: the Raft term and index the snapshot
 * stands for, the engine's applied index inside it, and every engine file with its size. A snapshot directory
 * without a valid descriptor is incomplete and is never used. Immutable.
 *
 * @param term               Raft term of the last entry the snapshot contains
 * @param index              Raft index of the last entry the snapshot contains (Ratis' snapshot index)
 * @param engineAppliedIndex the engine's applied index inside the checkpoint ({@code <= index}: later entries up to
 *                           {@code index} did not change data, e.g. configuration entries or failed CAS)
 * @param files              engine files in the directory, names relative to it
 * @param rangeOrNull        the range descriptor the replica had recorded at {@code index}, or null (none: the
 *                           meta group, a range without a descriptor entry yet). Written as a second descriptor
 *                           kind only when present, so snapshots without one stay readable by older builds.
 * @param mergeFence         the replica's merge fence at {@code index} ({@code ReplicaDescriptor#mergeFence}; 0:
 *                           none). Written, after the range, as a third kind only when set.
 */
public record SnapshotDescriptor(long term, long index, long engineAppliedIndex, List<EngineFile> files,
                                 RangeBounds rangeOrNull, long mergeFence) {
    public static final String FILE_NAME = "OMENDB_SNAPSHOT";
    private static final int KIND = 1;
    private static final int KIND_WITH_RANGE = 2;
    private static final int KIND_WITH_RANGE_AND_FENCE = 3;
    private static final int FILES_MAX = 1_000_000;

    public record EngineFile(String name, long sizeBytes) {
    }

    public SnapshotDescriptor {
        files = List.copyOf(files);
        if (mergeFence != 0 && rangeOrNull == null) {
            throw new IllegalArgumentException("a merge fence without a range descriptor");
        }
    }

    /**
     * Writes a complete snapshot directory {@code target} (which must not exist): the engine's checkpoint plus a
     * descriptor naming {@code at}. Built under {@link GroupDir#tmpOf}{@code (target)} and renamed once its files
     * and descriptor are fsynced, so a directory under its final name is complete. Used for Raft snapshots, backup
     * checkpoints and, offline, by the backup tool for a replayed range.
     */
    public static SnapshotDescriptor writeSnapshotDir(StorageEngine engine, Path target, TermIndex at,
                                                      RangeBounds rangeOrNull, long mergeFence) throws IOException {
        Path tmp = GroupDir.tmpOf(target);
        FileOps.deleteRecursively(tmp);
        Files.createDirectories(tmp.getParent());
        CheckpointInfo cp = engine.checkpoint(tmp);
        List<EngineFile> files = new ArrayList<>();
        for (String f : cp.files()) {
            files.add(new EngineFile(f, Files.size(tmp.resolve(f))));
        }
        SnapshotDescriptor d = new SnapshotDescriptor(at.getTerm(), at.getIndex(), cp.appliedIndex(), files,
                rangeOrNull, mergeFence);
        d.writeTo(tmp);
        FileOps.fsync(tmp);
        Files.move(tmp, target);
        FileOps.fsync(target.getParent());
        return d;
    }

    /**
     * Rewrites the descriptor of snapshot directory {@code dir} without its merge fence (the rest unchanged), for a
     * directory being built that nothing uses yet: a restore starts a new history, whose meta group orders merges
     * anew, so a fence of the old history would refuse the new history's merges (docs/ARCHITECTURE.md, "Range
     * merges"). Returns the descriptor now in {@code dir}.
     */
    public static SnapshotDescriptor clearMergeFence(Path dir) throws IOException {
        SnapshotDescriptor d = readFile(dir.resolve(FILE_NAME));
        if (d.mergeFence() == 0) {
            return d;
        }
        SnapshotDescriptor cleared = new SnapshotDescriptor(d.term(), d.index(), d.engineAppliedIndex(), d.files(),
                d.rangeOrNull(), 0);
        Files.delete(dir.resolve(FILE_NAME));
        cleared.writeTo(dir);
        FileOps.fsync(dir);
        return cleared;
    }

    private void writeTo(Path dir) throws IOException {
        int kind = rangeOrNull == null ? KIND : mergeFence == 0 ? KIND_WITH_RANGE : KIND_WITH_RANGE_AND_FENCE;
        FrameWriter w = new FrameWriter(kind).writeVarLong(term)
                .writeVarLong(index).writeVarLong(engineAppliedIndex)
                .writeVarLong(files.size());
        for (EngineFile f : files) {
            w.writeBytes(f.name().getBytes(StandardCharsets.UTF_8)).writeVarLong(f.sizeBytes());
        }
        if (rangeOrNull != null) {
            RangeBounds.write(w, rangeOrNull);
        }
        if (mergeFence != 0) {
            w.writeVarLong(mergeFence);
        }
        try (FileChannel ch = FileChannel.open(dir.resolve(FILE_NAME), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(w.finish());
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
    }

    /** Reads and checks the descriptor of {@code dir}, including that every listed file exists with its size. */
    public static SnapshotDescriptor readFrom(Path dir) throws IOException {
        SnapshotDescriptor d = readFile(dir.resolve(FILE_NAME));
        for (EngineFile f : d.files()) {
            Path p = dir.resolve(f.name());
            if (!Files.isRegularFile(p) || Files.size(p) != f.sizeBytes()) {
                throw new IOException("snapshot " + dir + " is incomplete: " + f.name() + " missing or not "
                        + f.sizeBytes() + " bytes");
            }
        }
        return d;
    }

    /**
     * Decodes the descriptor file {@code file} alone (its checksum and fields), without looking at the engine files
     * it lists: for a descriptor whose files are stored elsewhere (a backup's, named by its manifest).
     */
    public static SnapshotDescriptor readFile(Path file) throws IOException {
        try {
            FrameReader r = new FrameReader(Files.readAllBytes(file));
            if (r.kind() != KIND && r.kind() != KIND_WITH_RANGE && r.kind() != KIND_WITH_RANGE_AND_FENCE) {
                throw new CorruptFrameException("unknown descriptor kind " + r.kind());
            }
            long term = r.readVarLong();
            long index = r.readVarLong();
            long engineApplied = r.readVarLong();
            int n = r.readCount(FILES_MAX);
            List<EngineFile> files = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                files.add(new EngineFile(new String(r.readBytes(), StandardCharsets.UTF_8),
                        r.readVarLong()));
            }
            RangeBounds range = r.kind() == KIND ? null : RangeBounds.read(r);
            long mergeFence = r.kind() == KIND_WITH_RANGE_AND_FENCE ? r.readVarLong() : 0;
            r.expectEnd();
            return new SnapshotDescriptor(term, index, engineApplied, files, range, mergeFence);
        } catch (CorruptFrameException e) {
            throw new IOException("corrupt snapshot descriptor " + file + ": " + e.getMessage(), e);
        }
    }
}
