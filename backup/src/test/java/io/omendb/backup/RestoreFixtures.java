package io.omendb.backup;

import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/** Set-up shared by the restore tests: the node template, the keys written, a full backup of stopped nodes. */
final class RestoreFixtures {
    private RestoreFixtures() {
    }

    /** No fsync, no auth, two initial ranges split at "m", snapshots every 16 entries. */
    static OmenConfig template(String database) throws Exception {
        return template(database, "");
    }

    /** {@link #template(String)} with more TOML ({@code extraToml}: sections not in the template) appended. */
    static OmenConfig template(String database, String extraToml) throws Exception {
        return ConfigLoader.parse("""
                [database]
                name = "%s"
                [storage]
                fsync_enabled = false
                [security]
                auth_enabled = false
                [cluster]
                initial_split_points = ["m"]
                [wal]
                snapshot_threshold_entries = 16
                """.formatted(database) + extraToml, Map.of());
    }

    /** A full backup, into a new repository at {@code repoDir}, of the stopped nodes whose data dirs are given. */
    static BackupManifest backUpStopped(Path repoDir, Path given, List<Path> nodeDirs, String database)
            throws Exception {
        BackupRepository repo = new BackupRepository(repoDir);
        Files.createDirectories(repo.root());
        return new BackupTaker(repo, new DataDirSource(given, nodeDirs, BackupCommand.STOP_THE_NODE, database,
                Files.createTempDirectory(repo.root(), ".datadir-")), Clock.systemUTC(), line -> { })
                .take(database, BackupManifest.Kind.FULL);
    }

    /** Key {@code i}: its first letter cycles through a..z, so the keys spread over ranges split at letters. */
    static byte[] key(int i) {
        return String.format("%c-key-%03d", (char) ('a' + i % 26), i).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] value(int i) {
        return ("value-" + i).getBytes(StandardCharsets.UTF_8);
    }
}
