package io.omendb.backup;

import io.omendb.raft.archive.LogArchiveReader;
import io.omendb.raft.archive.RaftLogFiles;
import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.storage.EngineOptions;
import org.apache.ratis.server.protocol.TermIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Point-in-time restore: the state of every range at time {@code T}, from a backup taken before {@code T} plus the
 * archived Raft log entries after it (docs/BACKUP.md, "Point-in-time restore").
 *
 * <p><b>Which backup.</b> A backup can serve {@code T} when each range's checkpoint entry (the {@code CHECKPOINT}
 * command at the range's backed-up index, found in the archive with its leader time stamp) is at or before
 * {@code T}. {@code latest} takes the newest such backup of the database; an explicit id must qualify. None: a
 * refusal (exit 2), nothing written.
 *
 * <p><b>Which entries.</b> Per range, the archived entries after the checkpoint index, in order, up to but not
 * including the first command stamped after {@code T}: always a prefix of the log, so the result is a state the
 * range really had (the newest one whose commands are all stamped at or before {@code T}). A missing index range
 * (gap), a damaged file with no intact copy or an unstamped command is an error (exit 1), and nothing is written.
 * An archive that ends before any entry after {@code T} is reported (its last entry and time): writes after that,
 * if any, were not archived yet when the cluster was lost (the loss window is {@code backup.log_archive_interval_ms}).
 *
 * <p><b>Result.</b> Each range's replayed engine is written as a snapshot directory at the last replayed entry's
 * term and index under {@code staging}; {@link ClusterRestorer} installs it on every node like a backup's own
 * checkpoint, so the cluster starts serving exactly that state. Single-threaded.
 */
final class PointInTimeRestore {
    private final BackupRepository repo;
    private final Path archiveRoot;
    private final BackupTaker.Progress progress;

    PointInTimeRestore(BackupRepository repo, Path archiveRoot, BackupTaker.Progress progress) {
        this.repo = repo;
        this.archiveRoot = archiveRoot;
        this.progress = progress;
    }

    /** The newest backup of {@code database} that can serve {@code until} ({@code latest}), or the one named. */
    BackupManifest choose(String backupId, String database, Instant until) throws BackupException {
        if (!Files.isDirectory(archiveRoot)) {
            throw BackupException.failed("no log archive at " + archiveRoot + " (set [backup] log_archive_dir on "
                    + "every node, or pass --log-archive-dir)");
        }
        if (!BackupRepository.LATEST.equals(backupId)) {
            BackupManifest m = repo.load(backupId);
            Instant at = checkpointTime(m);
            if (at.isAfter(until)) {
                throw BackupException.usage("backup " + m.backupId() + " was taken at " + at + ", after --until "
                        + until + "; pick an older backup or --backup-id latest");
            }
            return m;
        }
        List<String> why = new ArrayList<>();
        for (BackupManifest m : repo.list(new ArrayList<>())) {
            if (!m.database().equals(database)) {
                continue;
            }
            try {
                Instant at = checkpointTime(m);
                if (!at.isAfter(until)) {
                    return m;
                }
                why.add(m.backupId() + " taken at " + at);
            } catch (BackupException e) {
                why.add(m.backupId() + ": " + e.getMessage());
            }
        }
        throw BackupException.usage("no backup of database '" + database + "' can serve --until " + until
                + (why.isEmpty() ? ": there is none" : ": " + String.join("; ", why)));
    }

    /** The latest time any range's checkpoint entry was stamped with: the backup's moment. */
    private Instant checkpointTime(BackupManifest m) throws BackupException {
        long latest = Long.MIN_VALUE;
        for (BackupManifest.RangeEntry r : m.ranges()) {
            latest = Math.max(latest, checkpointEntry(m, r).logged().timestampMillis());
        }
        return Instant.ofEpochMilli(latest);
    }

    private RaftLogFiles.LoggedEntry checkpointEntry(BackupManifest m, BackupManifest.RangeEntry r)
            throws BackupException {
        RaftLogFiles.LoggedEntry[] found = {null};
        try {
            reader(r).read(r.index(), e -> {
                found[0] = RaftLogFiles.decode(e);
                return false;
            });
        } catch (IOException e) {
            throw BackupException.failed("range " + r.rangeId() + ": " + e.getMessage());
        }
        RaftLogFiles.LoggedEntry e = found[0];
        if (e == null) {
            throw BackupException.failed("range " + r.rangeId() + ": the log archive does not reach the backup's "
                    + "checkpoint entry " + r.index() + " (archiving was off or behind when the backup was taken)");
        }
        if (e.logged() == null || !(e.logged().command() instanceof Command.Checkpoint c)
                || !c.backupId().equals(m.backupId()) || e.term() != r.term()) {
            throw BackupException.failed("range " + r.rangeId() + ": archived entry " + r.index() + " is not the "
                    + "checkpoint of backup " + m.backupId() + " (archive of another cluster?)");
        }
        if (e.logged().timestampMillis() == CommandCodec.UNSTAMPED) {
            throw BackupException.failed("range " + r.rangeId() + ": the checkpoint entry has no time stamp");
        }
        return e;
    }

    /** A range's state after replay, as a snapshot directory. */
    record Replayed(long term, long index, Map<String, Path> files) {
    }

    /** Replays every range of {@code m} up to {@code until} into snapshot directories under {@code staging}. */
    Map<Long, Replayed> replay(BackupManifest m, Instant until, Path staging, EngineOptions options)
            throws BackupException {
        Map<Long, Replayed> out = new LinkedHashMap<>();
        long started = System.nanoTime();
        long entries = 0;
        long bytes = 0;
        for (BackupManifest.RangeEntry r : m.ranges()) {
            Map<String, Path> files = new LinkedHashMap<>();
            for (BackupManifest.FileEntry f : r.files()) {
                files.put(f.name(), repo.fileOf(r.rangeId(), f));
            }
            Path work = staging.resolve("range-" + r.rangeId());
            Cut cut = new Cut(until.toEpochMilli());
            // replayed entries are checked against the descriptor the checkpoint records, as the replicas checked them
            try (RangeReplay replay = openAtCheckpoint(work.resolve("work"), files, options, r)) {
                checkpointEntry(m, r);
                long end = reader(r).read(r.index() + 1, e -> {
                    RaftLogFiles.LoggedEntry le = RaftLogFiles.decode(e);
                    if (cut.after(le)) {
                        return false;
                    }
                    replay.apply(le);
                    cut.bytes += e.getSerializedSize();
                    return true;
                });
                SnapshotDescriptor d = replay.snapshot(work.resolve("snapshot"));
                out.put(r.rangeId(), new Replayed(d.term(), d.index(), snapshotFiles(work.resolve("snapshot"), d)));
                entries += d.index() - r.index();
                bytes += cut.bytes;
                progress.line(describe(r, replay, cut, end));
            } catch (LogArchiveReader.GapException e) {
                throw BackupException.failed("range " + r.rangeId() + ": " + e.getMessage() + "; cannot restore to "
                        + until + " (nothing was restored)");
            } catch (IOException e) {
                throw BackupException.failed("range " + r.rangeId() + ": replaying the log archive failed: "
                        + e.getMessage() + " (nothing was restored)");
            }
        }
        double secs = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
        progress.line(String.format("replayed %d archived entries (%d bytes) of %d ranges in %.2f s (%.0f entries/s, "
                + "%.1f MB/s)", entries, bytes, m.ranges().size(), secs, entries / secs, bytes / 1e6 / secs));
        return out;
    }

    /**
     * A replay of the checkpoint {@code files} of range entry {@code r}, starting from the range descriptor and merge
     * fence its snapshot descriptor records (none: none).
     */
    private static RangeReplay openAtCheckpoint(Path work, Map<String, Path> files, EngineOptions options,
                                                BackupManifest.RangeEntry r)
            throws IOException {
        Path descriptor = files.get(SnapshotDescriptor.FILE_NAME);
        SnapshotDescriptor d = descriptor == null ? null : SnapshotDescriptor.readFile(descriptor);
        return RangeReplay.open(work, files, options, TermIndex.valueOf(r.term(), r.index()),
                d == null ? null : d.rangeOrNull(), d == null ? 0 : d.mergeFence());
    }

    /** Where a range's replay stops: the first command stamped after {@code until}. */
    private static final class Cut {
        final long untilMillis;
        long firstAfterMillis = -1;
        long lastMillis = -1;
        long bytes;

        Cut(long untilMillis) {
            this.untilMillis = untilMillis;
        }

        boolean after(RaftLogFiles.LoggedEntry e) throws IOException {
            if (e.logged() == null) {
                return false;
            }
            long t = e.logged().timestampMillis();
            if (t == CommandCodec.UNSTAMPED) {
                throw new IOException("archived entry " + e.index() + " has no time stamp (written before "
                        + "stamping existed); point-in-time restore cannot place it");
            }
            if (t > untilMillis) {
                firstAfterMillis = t;
                return true;
            }
            lastMillis = t;
            return false;
        }
    }

    private static String describe(BackupManifest.RangeEntry r, RangeReplay replay, Cut cut, long end) {
        String stop = cut.firstAfterMillis >= 0
                ? "stopped before entry " + (replay.last().getIndex() + 1) + " at " + Instant.ofEpochMilli(cut.firstAfterMillis)
                : "WARNING: the archive ends at entry " + end + (cut.lastMillis >= 0 ? " (" + Instant.ofEpochMilli(
                        cut.lastMillis) + ")" : "") + " before --until: later writes, if any, were not archived";
        return String.format("range %d: checkpoint %d + %d archived entries (%d commands) -> index %d; %s",
                r.rangeId(), r.index(), replay.last().getIndex() - r.index(), replay.commandsApplied(),
                replay.last().getIndex(), stop);
    }

    private static Map<String, Path> snapshotFiles(Path dir, SnapshotDescriptor d) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (SnapshotDescriptor.EngineFile f : d.files()) {
            out.put(f.name(), dir.resolve(f.name()));
        }
        out.put(SnapshotDescriptor.FILE_NAME, dir.resolve(SnapshotDescriptor.FILE_NAME));
        return out;
    }

    private LogArchiveReader reader(BackupManifest.RangeEntry r) {
        return new LogArchiveReader(archiveRoot, UUID.fromString(r.groupId()),
                w -> progress.line("warning: range " + r.rangeId() + ": " + w));
    }
}
