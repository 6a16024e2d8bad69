package io.omendb.backup;

import io.omendb.storage.FileOps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes a full or incremental backup from a {@link BackupSource}: a running cluster ({@link ClusterSource}) or a
 * stopped node's data dir ({@link DataDirSource}, whose ranges are rebuilt offline at their last committed entry).
 *
 * <p><b>Consistency.</b> One {@code CHECKPOINT} command per range goes through that range's Raft log after the
 * command started; each replica hard-links its engine at exactly that log index. So every write any range
 * acknowledged before the backup started is in the backup (it has a lower index in its range), and each range is a
 * committed state of that range. Ranges are cut at their own indexes, not at one global instant: a write that races
 * with the backup may be in one range's copy and a later one in another's (no operation spans ranges, so no
 * operation is torn).
 *
 * <p><b>Incremental.</b> Segment files are immutable, so a file is identified by (range, name, SHA-256): files the
 * parent chain already holds are referenced ({@code storedIn} = the ancestor that stored it), only new ones are
 * copied. The parent is the newest complete backup of the same database.
 *
 * <p><b>Failure.</b> Any error (network, damaged transfer, disk full) deletes the staging directory: a backup either
 * appears complete with a verified manifest or not at all. The node-side checkpoints are released in every case.
 */
final class BackupTaker {
    private final BackupRepository repo;
    private final BackupSource source;
    private final Clock clock;
    private final Progress progress;

    interface Progress {
        void line(String s);
    }

    BackupTaker(BackupRepository repo, BackupSource source, Clock clock, Progress progress) {
        this.repo = repo;
        this.source = source;
        this.clock = clock;
        this.progress = progress;
    }

    BackupManifest take(String database, BackupManifest.Kind kind) throws BackupException {
        BackupManifest parent = null;
        Map<String, BackupManifest.FileEntry> inherited = new HashMap<>();
        if (kind == BackupManifest.Kind.INCREMENTAL) {
            parent = repo.latest(database).orElseThrow(() -> BackupException.failed("no complete backup of database '"
                    + database + "' in " + repo.root() + " to base an incremental backup on; run full-backup first"));
            repo.chain(parent); // the chain must be intact before we build on it
            for (BackupManifest.RangeEntry r : parent.ranges()) {
                for (BackupManifest.FileEntry f : r.files()) {
                    inherited.put(key(r.rangeId(), f.name(), f.sha256()), f);
                }
            }
        }
        String id = BackupRepository.newId(database, kind, clock.instant());
        long started = System.nanoTime();
        BackupSource.Checkpoints cps = source.checkpoint(id);
        Path staging = null;
        boolean done = false;
        try {
            if (!cps.database().equals(database)) {
                throw BackupException.usage("the cluster at " + source.baseUrl() + " serves database '"
                        + cps.database() + "', not '" + database + "'");
            }
            staging = repo.begin(id);
            List<BackupManifest.RangeEntry> ranges = new ArrayList<>();
            long copied = 0;
            for (BackupSource.RangeCheckpoint r : cps.ranges()) {
                BackupManifest.RangeEntry entry = copyRange(id, staging, r, cps.nodeHttp(), inherited);
                ranges.add(entry);
                for (BackupManifest.FileEntry f : entry.files()) {
                    copied += f.storedIn().equals(id) ? f.sizeBytes() : 0;
                }
            }
            BackupManifest m = new BackupManifest(BackupManifest.FORMAT_VERSION, id, database, kind,
                    parent == null ? null : parent.backupId(), clock.millis(), ranges);
            repo.commit(staging, m);
            done = true;
            double secs = (System.nanoTime() - started) / 1e9;
            progress.line(String.format("backup %s complete: %d ranges, %d bytes total, %d bytes copied in %.2f s "
                    + "(%.1f MB/s)", id, ranges.size(), m.totalBytes(), copied, secs, copied / 1e6 / secs));
            return m;
        } catch (IOException e) {
            throw BackupException.failed("cannot write backup " + id + " into " + repo.root() + ": " + e.getMessage()
                    + " (is the backup disk full?)");
        } finally {
            if (!done && staging != null) {
                try {
                    FileOps.deleteRecursively(staging);
                } catch (IOException e) {
                    progress.line("warning: cannot remove the unfinished backup " + staging + ": " + e.getMessage());
                }
            }
            for (String p : source.release(id, cps.nodeHttp())) {
                progress.line("warning: could not release the node-side checkpoint " + id + " on " + p
                        + "; DELETE /admin/backup/checkpoint?id=" + id + " frees its disk space");
            }
        }
    }

    private BackupManifest.RangeEntry copyRange(String id, Path staging, BackupSource.RangeCheckpoint r,
                                                Map<String, String> nodeHttp,
                                                Map<String, BackupManifest.FileEntry> inherited)
            throws BackupException, IOException {
        BackupSource.RangeFiles remote = source.files(id, r, nodeHttp);
        if (remote.index() != r.index()) {
            throw BackupException.failed("node " + remote.node() + " holds checkpoint " + id + " of range "
                    + r.rangeId() + " at index " + remote.index() + ", expected " + r.index());
        }
        Path dir = Files.createDirectories(staging.resolve("range-" + r.rangeId()));
        List<BackupManifest.FileEntry> files = new ArrayList<>();
        Map<String, Path> local = new LinkedHashMap<>();
        for (BackupSource.RemoteFile f : remote.files()) {
            BackupManifest.FileEntry have = inherited.get(key(r.rangeId(), f.name(), f.sha256()));
            if (have != null && have.sizeBytes() == f.sizeBytes()) {
                files.add(have);
                local.put(f.name(), repo.fileOf(r.rangeId(), have));
            } else {
                Path target = dir.resolve(f.name());
                source.download(id, r.rangeId(), remote, f, target);
                files.add(new BackupManifest.FileEntry(f.name(), f.sizeBytes(), f.sha256(), id));
                local.put(f.name(), target);
            }
        }
        EngineTrial.Contents c = EngineTrial.open(local, repo.root());
        progress.line(String.format("range %d: index %d, %d keys, %d files from node %s", r.rangeId(), r.index(),
                c.liveKeys(), files.size(), remote.node()));
        return new BackupManifest.RangeEntry(r.rangeId(), r.startHex(), r.endHex(), r.groupId(), remote.term(),
                r.index(), c.engineIndex(), c.digestHex(), c.liveKeys(), files);
    }

    private static String key(long rangeId, String name, String sha256) {
        return rangeId + "/" + name + "/" + sha256;
    }
}
