package io.omendb.backup;

import io.omendb.raft.archive.ArchiveFiles;
import io.omendb.storage.FileOps;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Retention: removes backups older than the retention period, except any backup a kept one still takes files from
 * (an expired full backup stays as long as a kept incremental is built on it), plus leftovers of interrupted runs
 * older than the retention period (younger ones may belong to a backup in progress).
 * Backups that fail to load are never deleted automatically (they may be a damaged manifest of a needed parent;
 * an operator decides).
 *
 * <p><b>Log archive.</b> A point-in-time restore from a backup needs the archived entries from each range's
 * checkpoint index on. Archive files whose entries all lie below the lowest checkpoint index of the range among the
 * kept backups can go; so can nothing of a range no kept backup covers, nor the newest file of each node's copy
 * (the running archiver continues after it), nor anything while a backup fails to load (it may need them).
 */
final class BackupCleaner {
    record Plan(List<BackupManifest> delete, List<BackupManifest> keptForChain, List<Path> partials,
                List<ArchiveFiles.Archived> archive, List<String> notes) {
    }

    private final BackupRepository repo;
    private final Clock clock;
    private final Path archiveRoot;

    BackupCleaner(BackupRepository repo, Clock clock, Path archiveRoot) {
        this.repo = repo;
        this.clock = clock;
        this.archiveRoot = archiveRoot;
    }

    Plan plan(int retentionDays) throws BackupException {
        long cutoff = clock.millis() - retentionDays * 86_400_000L;
        List<String> damaged = new ArrayList<>();
        List<BackupManifest> all = repo.list(damaged);
        Set<String> needed = new HashSet<>();
        for (BackupManifest m : all) {
            if (m.createdAtMillis() >= cutoff) {
                needed.add(m.backupId());
                for (BackupManifest a : repo.chain(m)) {
                    needed.add(a.backupId());
                }
            }
        }
        List<BackupManifest> delete = new ArrayList<>();
        List<BackupManifest> keptForChain = new ArrayList<>();
        for (BackupManifest m : all) {
            if (m.createdAtMillis() < cutoff) {
                (needed.contains(m.backupId()) ? keptForChain : delete).add(m);
            }
        }
        try {
            List<Path> partials = new ArrayList<>();
            for (Path p : repo.partials()) {
                if (Files.getLastModifiedTime(p).toMillis() < cutoff) {
                    partials.add(p); // younger ones may be a backup running right now
                }
            }
            List<String> notes = new ArrayList<>();
            List<ArchiveFiles.Archived> archive = new ArrayList<>();
            if (!damaged.isEmpty()) {
                notes.add("not pruning the log archive while a backup is damaged (" + damaged.size() + ")");
            } else {
                List<BackupManifest> kept = new ArrayList<>(all);
                kept.removeAll(delete);
                archive = prunableArchive(kept);
            }
            return new Plan(delete, keptForChain, partials, archive, notes);
        } catch (IOException e) {
            throw BackupException.failed("cannot list " + repo.root() + ": " + e.getMessage());
        }
    }

    /** Archive files entirely below the lowest checkpoint index of their range among {@code kept}. */
    private List<ArchiveFiles.Archived> prunableArchive(List<BackupManifest> kept) throws IOException {
        Map<String, Long> lowest = new HashMap<>();
        for (BackupManifest m : kept) {
            for (BackupManifest.RangeEntry r : m.ranges()) {
                lowest.merge(r.groupId(), r.index(), Math::min);
            }
        }
        List<ArchiveFiles.Archived> out = new ArrayList<>();
        if (!Files.isDirectory(archiveRoot)) {
            return out;
        }
        try (DirectoryStream<Path> groups = Files.newDirectoryStream(archiveRoot)) {
            for (Path g : groups) {
                Long below = lowest.get(g.getFileName().toString());
                if (below == null || !Files.isDirectory(g)) {
                    continue;
                }
                try (DirectoryStream<Path> nodes = Files.newDirectoryStream(g)) {
                    for (Path n : nodes) {
                        List<ArchiveFiles.Archived> files = ArchiveFiles.list(n);
                        for (int i = 0; i < files.size() - 1; i++) {
                            if (files.get(i).lastIndex() < below) {
                                out.add(files.get(i));
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    void execute(Plan plan) throws BackupException {
        try {
            for (ArchiveFiles.Archived a : plan.archive()) {
                ArchiveFiles.delete(a);
            }
            for (BackupManifest m : plan.delete()) {
                repo.delete(m.backupId());
            }
            for (Path p : plan.partials()) {
                FileOps.deleteRecursively(p);
            }
        } catch (IOException e) {
            throw BackupException.failed("cleanup stopped: " + e.getMessage());
        }
    }
}
