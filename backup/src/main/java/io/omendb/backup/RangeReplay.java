package io.omendb.backup;

import io.omendb.raft.archive.RaftLogFiles;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.statemachine.CommandExecutor;
import io.omendb.raft.statemachine.ReplicaDescriptor;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.KeyValue;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.server.protocol.TermIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One range rebuilt offline: an engine opened on a copy of some engine files (a backup's checkpoint, or a stopped
 * node's live engine), then committed log entries applied to it with the state machine's own apply path
 * ({@link CommandExecutor#applyCommitted}), so the result equals what a replica that applied the same entries holds.
 * Finally {@link #snapshot} writes it as a snapshot directory (engine checkpoint + descriptor) that restore installs
 * and backups copy like any other.
 *
 * <p>The source files are copied, never linked or opened in place: opening and applying writes new segments and
 * manifests, and the source (a backup, a node's data dir) must not change. Single-threaded; the caller deletes
 * {@code workDir}.
 */
final class RangeReplay implements AutoCloseable {
    private final StorageEngine engine;
    private final GroupDir group;
    private final ReplicaDescriptor descriptor = new ReplicaDescriptor();
    private TermIndex last;
    private long applied;

    private RangeReplay(StorageEngine engine, GroupDir group, TermIndex start, RangeBounds descriptorOrNull,
                        long mergeFence) {
        this.descriptor.reset(descriptorOrNull, mergeFence);
        this.engine = engine;
        this.group = group;
        this.last = start;
    }

    /**
     * @param files  engine files by name
     * @param start  the log position the files stand for (the checkpoint's term and index)
     * @param descriptorOrNull the range descriptor the replica had recorded at {@code start} (null: none), which
     *               replayed entries are checked against as the live replica checked them
     */
    static RangeReplay open(Path workDir, Map<String, Path> files, EngineOptions options, TermIndex start,
                            RangeBounds descriptorOrNull, long mergeFence) throws IOException {
        Path engineDir = Files.createDirectories(workDir.resolve("engine"));
        for (Map.Entry<String, Path> f : files.entrySet()) {
            Files.copy(f.getValue(), engineDir.resolve(f.getKey()));
        }
        return new RangeReplay(StorageEngine.open(engineDir, options), GroupDir.of(workDir.resolve("group")), start,
                descriptorOrNull, mergeFence);
    }

    /** Applies one committed entry, which must directly follow the previous one. */
    void apply(RaftLogFiles.LoggedEntry e) throws IOException {
        if (e.index() != last.getIndex() + 1) {
            throw new IOException("replay of " + engine.directory() + ": entry " + e.index() + " after "
                    + last.getIndex());
        }
        TermIndex at = TermIndex.valueOf(e.term(), e.index());
        if (e.logged() != null) {
            CommandExecutor.applyCommitted(engine, descriptor, e.logged().route(), e.logged().command(), at, group);
            applied++;
        }
        last = at;
    }

    /** Sets the log position the engine's files stand for, before any entry is applied. */
    void position(TermIndex at) {
        if (applied > 0) {
            throw new IllegalStateException("position after applying entries");
        }
        last = at;
    }

    /** Live entries from {@code start} (inclusive), at most {@code limit}. */
    List<KeyValue> scan(byte[] start, byte[] end, int limit) {
        return engine.scan(start, end, limit);
    }

    /** The log position the engine now stands for. */
    TermIndex last() {
        return last;
    }

    /** Commands applied so far (configuration and metadata entries only move {@link #last}). */
    long commandsApplied() {
        return applied;
    }

    long engineIndex() {
        return engine.appliedIndex();
    }

    /** Writes the state as a snapshot directory {@code target} for {@link #last()}. */
    SnapshotDescriptor snapshot(Path target) throws IOException {
        return SnapshotDescriptor.writeSnapshotDir(engine, target, last, descriptor.current(),
                descriptor.mergeFence());
    }

    @Override
    public void close() throws IOException {
        engine.close();
    }
}
