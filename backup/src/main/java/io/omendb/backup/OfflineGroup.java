package io.omendb.backup;

import io.omendb.raft.archive.RaftLogFiles;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.storage.EngineOptions;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.protocol.TermIndex;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Rebuilds the committed state of one Raft group replica from a <b>stopped</b> node's group directory
 * ({@link GroupDir}), the way the node itself would on start, without changing a byte of it.
 *
 * <p><b>How.</b> The engine files are copied (the live {@code engine/}, or the newest verified snapshot in
 * {@code sm/} when the engine is missing or behind it) and opened in a scratch directory; then the group's Raft log
 * ({@code current/}, read with Ratis' reader, checksums verified) is replayed after the engine's index through the
 * state machine's apply path ({@link RangeReplay}).
 *
 * <p><b>Committed only.</b> A stopped node's log may end in entries that were never committed (a new leader would
 * have truncated them). Every command entry records an index its leader knew committed
 * ({@link #highestRecordedCommit}); the replay stops at the highest one found, or at the engine's own index if that
 * is higher (the engine only ever applied committed entries). Entries committed after the last recorded index
 * (typically a range's last write, unless the engine already holds it) are left out: the result is a committed
 * state, possibly a little older than the node's last one.
 *
 * <p>Single-threaded; the caller owns {@code workDir}.
 */
final class OfflineGroup {
    private OfflineGroup() {
    }

    /** Replays the group in {@code group}; the returned replay is open at the group's last committed entry. */
    static RangeReplay rebuild(GroupDir group, Path workDir, EngineOptions options) throws IOException {
        Optional<SnapshotDescriptor> snapshot = newestSnapshot(group);
        Path logDir = group.logDir();
        long commitIndex = highestRecordedCommit(logDir);
        RangeReplay replay = open(group, snapshot, workDir, options);
        try {
            long bound = Math.max(commitIndex, replay.last().getIndex());
            for (RaftLogFiles.Segment s : RaftLogFiles.list(logDir)) {
                if (s.endIndex() <= replay.last().getIndex() || s.startIndex() > bound) {
                    continue;
                }
                RaftLogFiles.read(s, e -> {
                    if (e.getIndex() > bound) {
                        return false;
                    }
                    if (e.getIndex() > replay.last().getIndex()) {
                        replay.apply(RaftLogFiles.decode(e));
                    }
                    return true;
                });
            }
            if (replay.last().getIndex() < bound) {
                throw new IOException(group.root() + ": the log ends at entry " + replay.last().getIndex() + " but entry "
                        + bound + " is committed");
            }
            return replay;
        } catch (IOException | RuntimeException e) {
            replay.close();
            throw e;
        }
    }

    /** The engine (or the snapshot, if the engine is missing or behind it), at its log position. */
    private static RangeReplay open(GroupDir group, Optional<SnapshotDescriptor> snapshot, Path workDir,
                                    EngineOptions options) throws IOException {
        Path engineDir = group.engineDir();
        if (Files.isDirectory(engineDir)) {
            // the live engine: the snapshot's descriptor is the newest the replica could have recorded before the
            // log the replay starts from (a replica records descriptors in its snapshots)
            RangeReplay r = RangeReplay.open(workDir.resolve("engine"), regularFiles(engineDir), options,
                    TermIndex.valueOf(0, -1), snapshot.map(SnapshotDescriptor::rangeOrNull).orElse(null),
                    snapshot.map(SnapshotDescriptor::mergeFence).orElse(0L));
            long engineIndex = r.engineIndex();
            if (snapshot.isEmpty() || engineIndex >= snapshot.get().engineAppliedIndex()) {
                // entries between the engine's index and the snapshot's changed no data (the snapshot's engine
                // index is not above the engine's), and the log may no longer hold them
                long from = snapshot.map(SnapshotDescriptor::index).filter(i -> i > engineIndex).orElse(engineIndex);
                try {
                    r.position(snapshot.isPresent() && snapshot.get().index() == from
                            ? TermIndex.valueOf(snapshot.get().term(), from)
                            : TermIndex.valueOf(termOf(group.logDir(), from), from));
                } catch (IOException e) {
                    r.close();
                    throw e;
                }
                return r;
            }
            r.close(); // the engine is behind the snapshot (an install was interrupted): start from the snapshot
        }
        if (snapshot.isEmpty()) {
            return RangeReplay.open(workDir.resolve("empty"), Map.of(), options, TermIndex.valueOf(0, -1), null, 0);
        }
        SnapshotDescriptor d = snapshot.get();
        Path dir = group.snapshotDir(d.term(), d.index());
        return RangeReplay.open(workDir.resolve("snapshot"), regularFiles(dir), options,
                TermIndex.valueOf(d.term(), d.index()), d.rangeOrNull(), d.mergeFence());
    }

    /** Term of entry {@code index} in the log (0 for index 0: before the first entry). */
    private static long termOf(Path logDir, long index) throws IOException {
        if (index <= 0) {
            return 0;
        }
        long[] term = {-1};
        for (RaftLogFiles.Segment s : RaftLogFiles.list(logDir)) {
            if (s.startIndex() <= index && s.endIndex() >= index) {
                RaftLogFiles.read(s, e -> {
                    if (e.getIndex() == index) {
                        term[0] = e.getTerm();
                        return false;
                    }
                    return true;
                });
            }
        }
        if (term[0] < 0) {
            throw new IOException(logDir + ": entry " + index + " (the engine's index) is not in the log");
        }
        return term[0];
    }

    /**
     * The highest index the log records as committed (-1: none): the committed index the leader stamped into each
     * command entry ({@code CommandCodec.Logged#committedIndex}) and, in logs written before those stamps, Ratis'
     * metadata entries.
     */
    static long highestRecordedCommit(Path logDir) throws IOException {
        long[] commit = {-1};
        for (RaftLogFiles.Segment s : RaftLogFiles.list(logDir)) {
            RaftLogFiles.read(s, (LogEntryProto e) -> {
                if (e.hasMetadataEntry()) {
                    commit[0] = Math.max(commit[0], e.getMetadataEntry().getCommitIndex());
                } else if (e.hasStateMachineLogEntry()) {
                    commit[0] = Math.max(commit[0], RaftLogFiles.decode(e).logged().committedIndex());
                }
                return true;
            });
        }
        return commit[0];
    }

    static Optional<SnapshotDescriptor> newestSnapshot(GroupDir group) throws IOException {
        for (Path p : GroupDir.snapshotDirs(group.stateMachineDir())) {
            try {
                return Optional.of(SnapshotDescriptor.readFrom(p));
            } catch (IOException unusable) {
                // a half-written snapshot: the node would skip it too
            }
        }
        return Optional.empty();
    }

    private static Map<String, Path> regularFiles(Path dir) throws IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (Files.isRegularFile(p)) {
                    out.put(p.getFileName().toString(), p);
                }
            }
        }
        return out;
    }
}
