package io.omendb.raft.statemachine;

import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.FileOps;
import io.omendb.storage.KeyRange;
import io.omendb.storage.LoadedSegments;
import io.omendb.storage.MaintenancePool;
import io.omendb.storage.StorageEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The live engine directory of one range replica ({@link GroupDir#engineDir}), kept apart from Ratis' {@code sm/}
 * snapshot directory because a snapshot install replaces {@code sm/} wholesale.
 *
 * <p><b>Invariant after {@link #open}:</b> the engine contains at least every entry up to the latest snapshot's
 * engine index. If the live directory is missing (wiped, or a crash in the middle of a swap) or behind the snapshot
 * (a snapshot was installed from the leader), it is rebuilt from the snapshot by hard-linking the snapshot's files
 * into {@link GroupDir#engineRestoringDir} and renaming that over {@code engine}; a crash at any point leaves either the old
 * directory, no directory (rebuilt again next time) or the new one.
 *
 * <p>Not thread-safe: the state machine calls it with the engine swap lock held.
 */
final class EngineDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(EngineDirectory.class);

    private final Path live;
    private final Path restoring;
    private final EngineOptions options;
    private final MaintenancePool maintenance;

    EngineDirectory(GroupDir group, EngineOptions options, MaintenancePool maintenance) {
        this.live = group.engineDir();
        this.restoring = group.engineRestoringDir();
        this.options = options;
        this.maintenance = maintenance;
    }

    Path path() {
        return live;
    }

    /**
     * Opens the live engine, first rebuilding it from {@code snapshot} when it is missing or behind it; segment files
     * that are links to {@code loaded}'s segments share their columns instead of being read
     * ({@link StorageEngine#open(Path, EngineOptions, MaintenancePool, KeyRange, LoadedSegments)}).
     *
     * <p>A snapshot at {@link RangeSplits#RIGHT_START_INDEX} (a split's right half before it took a snapshot of its
     * own) is restored even over an engine at that index: the half's records were not applied from its log, so index 0
     * says nothing about them, and an engine created empty (a replica added to the range, or one that missed the
     * split) is at index 0 too. It kept itself and lost every record of the half (the chaos suite's KILL_FOREVER: the
     * replacement node's replica of a fresh right half held only what was written after the move). Restoring over an
     * adopted half's own engine at index 0 only links the same files again.
     */
    StorageEngine open(Optional<SnapshotStore.Stored> snapshot, LoadedSegments loaded) throws IOException {
        FileOps.deleteRecursively(restoring);
        if (snapshot.isPresent() && Files.isDirectory(live)) {
            StorageEngine engine = StorageEngine.open(live, options, maintenance);
            long snapshotIndex = snapshot.get().descriptor().engineAppliedIndex();
            if (engine.durableIndex() > snapshotIndex
                    || engine.durableIndex() == snapshotIndex && snapshotIndex != RangeSplits.RIGHT_START_INDEX) {
                return engine;
            }
            LOG.info("Engine {} at durable index {} is behind snapshot {}; restoring", live, engine.durableIndex(),
                    snapshot.get().dir().getFileName());
            engine.close();
        }
        if (snapshot.isPresent()) {
            restoreFrom(snapshot.get());
        }
        return StorageEngine.open(live, options, maintenance, KeyRange.ALL, loaded);
    }

    private void restoreFrom(SnapshotStore.Stored snapshot) throws IOException {
        Files.createDirectories(restoring);
        for (SnapshotDescriptor.EngineFile f : snapshot.descriptor().files()) {
            FileOps.linkOrCopy(snapshot.dir().resolve(f.name()), restoring.resolve(f.name()));
        }
        FileOps.fsync(restoring);
        FileOps.deleteRecursively(live);
        Files.move(restoring, live);
        FileOps.fsync(live.getParent());
        LOG.info("Restored engine {} from snapshot {} (engine index {})", live, snapshot.dir().getFileName(),
                snapshot.descriptor().engineAppliedIndex());
    }
}
