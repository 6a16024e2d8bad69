package io.omendb.raft.statemachine;

import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.storage.FileOps;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The Ratis {@link StateMachineStorage} of one range replica: snapshots are engine checkpoints, one directory
 * {@code sm/snapshot.<term>_<index>/} each ({@link GroupDir#snapshotDir}), holding the engine's hard-linked files
 * and a {@link SnapshotDescriptor}.
 *
 * <p><b>Guarantees.</b> A snapshot directory becomes visible (under its final name) only after its files and
 * descriptor are fsynced: it is built as {@code snapshot.T_I.tmp} and renamed. {@link #latest()} only returns
 * directories whose descriptor verifies, so a half-written or half-received snapshot is never loaded.
 *
 * <p><b>Install.</b> On a follower, Ratis receives the leader's snapshot files (paths relative to the leader's
 * {@code sm/} dir, hence the same {@code snapshot.T_I/} layout, plus Ratis' {@code .md5} files) into a temp dir and
 * renames it over {@code sm/}; {@link #reload()} then forgets the cached latest snapshot.
 *
 * <p><b>Retention.</b> Beyond the newest {@code snapshot_retention_count}, a snapshot is deleted only once it has
 * been superseded for {@link #SUPERSEDED_KEEP_MS}: a leader streams the latest snapshot to a follower file by file,
 * by path, and deleting it mid-stream (when two newer ones were taken meanwhile) failed the install, which then
 * started over with the newest (seen in the chaos suite with 256 MiB snapshots taken every 200 entries; with bigger
 * or more frequent snapshots an install could restart for ever). Snapshots are hard links to engine files, so the
 * extra ones cost only the disk of files compacted away meanwhile. "Superseded at" is the modification time of the
 * next newer snapshot directory (written once, then renamed), so the rule needs no state and survives restarts.
 *
 * <p><b>Threading.</b> {@link #create} and {@link #cleanupOldSnapshots} run on the group's state machine updater
 * thread; {@link #getLatestSnapshot} may be called from any Ratis thread (the cached value is atomic).
 */
public final class SnapshotStore implements StateMachineStorage {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);

    /** A verified snapshot directory. */
    public record Stored(Path dir, SnapshotDescriptor descriptor) {
        public TermIndex termIndex() {
            return TermIndex.valueOf(descriptor.term(), descriptor.index());
        }
    }

    /** How long a superseded snapshot stays readable for an install that started before it was superseded. */
    static final long SUPERSEDED_KEEP_MS = 10 * 60_000;

    private volatile Path smDir;
    private final AtomicReference<Optional<Stored>> latest = new AtomicReference<>();
    private final LongSupplier clockMs;

    public SnapshotStore() {
        this(System::currentTimeMillis);
    }

    /** @param clockMs wall-clock milliseconds, compared with directory modification times */
    SnapshotStore(LongSupplier clockMs) {
        this.clockMs = clockMs;
    }

    @Override
    public void init(RaftStorage raftStorage) throws IOException {
        init(GroupDir.of(raftStorage.getStorageDir().getRoot().toPath()).stateMachineDir());
    }

    void init(Path stateMachineDir) throws IOException {
        smDir = stateMachineDir;
        Files.createDirectories(smDir);
        for (Path p : list()) {
            if (GroupDir.isTmp(p)) {
                LOG.info("Deleting unfinished snapshot {}", p);
                FileOps.deleteRecursively(p);
            }
        }
        reload();
    }

    /** Forgets the cached latest snapshot (after Ratis replaced {@code sm/} by an installed one). */
    public void reload() {
        latest.set(null);
    }

    public Optional<Stored> latest() {
        Optional<Stored> cached = latest.get();
        if (cached == null) {
            cached = findLatest();
            latest.compareAndSet(null, cached);
        }
        return cached;
    }

    @Override
    public FileListSnapshotInfo getLatestSnapshot() {
        return latest().map(SnapshotStore::toInfo).orElse(null);
    }

    /**
     * Checkpoints {@code engine} (after a flush) as the snapshot {@code applied}, with the replica's range descriptor
     * and merge fence at that index ({@code rangeOrNull}, {@code mergeFence}). Called on the updater thread, so
     * no entry is applied meanwhile and the engine holds exactly the effects of the entries up to {@code applied}.
     */
    public Stored create(StorageEngine engine, TermIndex applied, RangeBounds rangeOrNull, long mergeFence)
            throws IOException {
        Path dir = GroupDir.snapshotDir(smDir, applied.getTerm(), applied.getIndex());
        engine.flush();
        Stored s = new Stored(dir, SnapshotDescriptor.writeSnapshotDir(engine, dir, applied, rangeOrNull,
                mergeFence));
        latest.set(Optional.of(s));
        return s;
    }

    @Override
    public void format() {
        // Nothing to format: snapshot directories are created on demand.
    }

    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
        int keep = policy == null ? -1 : policy.getNumSnapshotsRetained();
        if (keep <= 0) {
            return;
        }
        List<Path> dirs = snapshotDirs();
        long now = clockMs.getAsLong();
        for (int i = keep; i < dirs.size(); i++) {
            long supersededAt = Files.getLastModifiedTime(dirs.get(i - 1)).toMillis();
            if (now - supersededAt >= SUPERSEDED_KEEP_MS) {
                LOG.info("Deleting old snapshot {}", dirs.get(i));
                FileOps.deleteRecursively(dirs.get(i));
            }
        }
    }

    private Optional<Stored> findLatest() {
        Path dir = smDir;
        if (dir == null) {
            return Optional.empty();
        }
        try {
            for (Path p : snapshotDirs()) {
                try {
                    return Optional.of(new Stored(p, SnapshotDescriptor.readFrom(p)));
                } catch (IOException e) {
                    LOG.warn("Ignoring unusable snapshot {}: {}", p, e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.warn("Cannot list snapshots in {}", dir, e);
        }
        return Optional.empty();
    }

    /** Final-named snapshot directories, newest (highest index) first. */
    private List<Path> snapshotDirs() throws IOException {
        return smDir == null ? List.of() : GroupDir.snapshotDirs(smDir);
    }

    private List<Path> list() throws IOException {
        List<Path> out = new ArrayList<>();
        if (smDir == null || !Files.isDirectory(smDir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(smDir)) {
            s.forEach(out::add);
        }
        return out;
    }

    private static FileListSnapshotInfo toInfo(Stored s) {
        List<FileInfo> files = new ArrayList<>();
        for (SnapshotDescriptor.EngineFile f : s.descriptor().files()) {
            files.add(new FileInfo(s.dir().resolve(f.name()), null));
        }
        files.add(new FileInfo(s.dir().resolve(SnapshotDescriptor.FILE_NAME), null));
        return new FileListSnapshotInfo(files, s.termIndex());
    }
}
