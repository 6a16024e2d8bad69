package io.omendb.backup;

import io.omendb.storage.FileOps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The backup directory: one sub-directory per backup, {@code <id>/MANIFEST} plus {@code <id>/range-<n>/<file>} for
 * the files the backup stored itself. A backup is built in {@code <id>.partial/} and renamed to {@code <id>/} after
 * its manifest is fsynced, so {@code <id>/} with a verifying manifest means complete; leftovers of an interrupted run
 * ({@code *.partial}) are ignored by every command and removed by {@code cleanup}.
 *
 * <p>Ids are {@code <database>-<UTC yyyyMMdd-HHmmss-SSS>-full|incr}: sortable, readable, and valid as a Raft
 * checkpoint name. Not thread-safe; one tool invocation at a time per directory.
 */
final class BackupRepository {
    static final String PARTIAL_SUFFIX = ".partial";
    static final String LATEST = "latest";
    /** The Raft log archive's default place inside the backup directory (not a backup: never listed). */
    static final String LOG_ARCHIVE_DIR = "log-archive";
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS")
            .withZone(ZoneOffset.UTC);

    private final Path root;

    BackupRepository(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path root() {
        return root;
    }

    static String newId(String database, BackupManifest.Kind kind, Instant now) {
        return database + "-" + ID_TIME.format(now) + (kind == BackupManifest.Kind.FULL ? "-full" : "-incr");
    }

    /** Complete backups, newest first; damaged ones are reported in {@code damaged} and left out. */
    List<BackupManifest> list(List<String> damaged) throws BackupException {
        List<BackupManifest> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        for (Path dir : children()) {
            String name = dir.getFileName().toString();
            if (!Files.isDirectory(dir) || name.endsWith(PARTIAL_SUFFIX) || name.startsWith(".")
                    || name.equals(LOG_ARCHIVE_DIR)) {
                continue;
            }
            try {
                out.add(load(name));
            } catch (BackupException e) {
                damaged.add(name + ": " + e.getMessage());
            }
        }
        out.sort(Comparator.comparingLong(BackupManifest::createdAtMillis).thenComparing(BackupManifest::backupId)
                .reversed());
        return out;
    }

    /** The newest complete backup of {@code database}, if any. */
    Optional<BackupManifest> latest(String database) throws BackupException {
        return list(new ArrayList<>()).stream().filter(m -> m.database().equals(database)).findFirst();
    }

    /** Loads backup {@code id} ({@code latest}: the newest of any database), checking its manifest checksum. */
    BackupManifest load(String id) throws BackupException {
        if (LATEST.equals(id)) {
            List<BackupManifest> all = list(new ArrayList<>());
            if (all.isEmpty()) {
                throw BackupException.failed("no complete backup in " + root);
            }
            return all.get(0);
        }
        Path file = dirOf(id).resolve(BackupManifest.FILE_NAME);
        try {
            BackupManifest m = BackupManifest.decode(Files.readAllBytes(file), file);
            if (!m.backupId().equals(id)) {
                throw BackupException.failed("backup directory " + dirOf(id) + " holds the manifest of '"
                        + m.backupId() + "': it was renamed or copied by hand");
            }
            return m;
        } catch (NoSuchFileException e) {
            throw BackupException.failed("no backup '" + id + "' in " + root + " (no " + file.getFileName()
                    + "); `backup list` shows the ids");
        } catch (IOException e) {
            throw BackupException.failed("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** {@code m} and its ancestors, newest first, ending with the full backup; fails naming a missing link. */
    List<BackupManifest> chain(BackupManifest m) throws BackupException {
        List<BackupManifest> chain = new ArrayList<>(List.of(m));
        BackupManifest cur = m;
        while (cur.parentId() != null) {
            BackupManifest parent;
            try {
                parent = load(cur.parentId());
            } catch (BackupException e) {
                throw BackupException.failed("broken chain: backup " + cur.backupId() + " needs its parent "
                        + cur.parentId() + ", which is unusable: " + e.getMessage());
            }
            if (!parent.database().equals(m.database())) {
                throw BackupException.failed("broken chain: parent " + parent.backupId() + " of " + cur.backupId()
                        + " is a backup of database '" + parent.database() + "', not '" + m.database() + "'");
            }
            if (chain.size() > 10_000) {
                throw BackupException.failed("backup chain of " + m.backupId() + " is cyclic or absurdly long");
            }
            chain.add(parent);
            cur = parent;
        }
        return chain;
    }

    Path dirOf(String id) {
        return root.resolve(id);
    }

    Path fileOf(long rangeId, BackupManifest.FileEntry f) {
        return dirOf(f.storedIn()).resolve("range-" + rangeId).resolve(f.name());
    }

    /** A fresh staging directory for backup {@code id}. */
    Path begin(String id) throws BackupException {
        try {
            Files.createDirectories(root);
            if (Files.exists(dirOf(id))) {
                throw BackupException.failed("backup " + id + " already exists in " + root);
            }
            Path staging = root.resolve(id + PARTIAL_SUFFIX);
            FileOps.deleteRecursively(staging);
            return Files.createDirectory(staging);
        } catch (IOException e) {
            throw BackupException.failed("cannot create a backup in " + root + ": " + e.getMessage());
        }
    }

    /** Writes {@code m} into {@code staging} durably and publishes it under its id. */
    void commit(Path staging, BackupManifest m) throws IOException {
        Path tmp = staging.resolve(BackupManifest.FILE_NAME + ".tmp");
        Files.write(tmp, m.encode(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileOps.fsync(tmp);
        Files.move(tmp, staging.resolve(BackupManifest.FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
        try (Stream<Path> all = Files.walk(staging)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                FileOps.fsync(p);
            }
        }
        Files.move(staging, dirOf(m.backupId()), StandardCopyOption.ATOMIC_MOVE);
        FileOps.fsync(root);
    }

    /** Removes backup {@code id} (manifest first, so a crash midway leaves an unlisted remnant, never a bad backup). */
    void delete(String id) throws IOException {
        Files.deleteIfExists(dirOf(id).resolve(BackupManifest.FILE_NAME));
        FileOps.deleteRecursively(dirOf(id));
    }

    /** Unfinished backups ({@code *.partial}). */
    List<Path> partials() throws IOException {
        List<Path> out = new ArrayList<>();
        if (Files.isDirectory(root)) {
            for (Path p : children()) {
                if (p.getFileName().toString().endsWith(PARTIAL_SUFFIX)) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    private List<Path> children() {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
            s.forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

}
