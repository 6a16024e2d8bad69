package io.omendb.backup;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Retention: removes backups older than the retention period, except any backup a kept one still takes files from
 * (an expired full backup stays as long as a kept incremental is built on it), plus leftovers of interrupted runs
 * older than the retention period (younger ones may belong to a backup in progress).
 * Backups that fail to load are never deleted automatically (they may be a damaged manifest of a needed parent;
 * an operator decides).
 */
final class BackupCleaner {
    record Plan(List<BackupManifest> delete, List<BackupManifest> keptForChain, List<Path> partials) {
    }

    private final BackupRepository repo;
    private final Clock clock;

    BackupCleaner(BackupRepository repo, Clock clock) {
        this.repo = repo;
        this.clock = clock;
    }

    Plan plan(int retentionDays) throws BackupException {
        long cutoff = clock.millis() - retentionDays * 86_400_000L;
        List<BackupManifest> all = repo.list(new ArrayList<>());
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
                if (java.nio.file.Files.getLastModifiedTime(p).toMillis() < cutoff) {
                    partials.add(p); // younger ones may be a backup running right now
                }
            }
            return new Plan(delete, keptForChain, partials);
        } catch (IOException e) {
            throw BackupException.failed("cannot list " + repo.root() + ": " + e.getMessage());
        }
    }

    void execute(Plan plan) throws BackupException {
        try {
            for (BackupManifest m : plan.delete()) {
                repo.delete(m.backupId());
            }
            for (Path p : plan.partials()) {
                BackupRepository.deleteRecursively(p);
            }
        } catch (IOException e) {
            throw BackupException.failed("cleanup stopped: " + e.getMessage());
        }
    }
}
