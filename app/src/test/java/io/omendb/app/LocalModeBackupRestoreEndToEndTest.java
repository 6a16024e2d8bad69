package io.omendb.app;

import static io.omendb.app.LocalProcess.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.storage.FileOps;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code omendb backup} with {@code --data-dir} of an {@code omendb local} data dir and nothing else (docs/BACKUP.md,
 * "Local mode"): a full backup of the stopped cluster, more writes, restore over them, and the restarted cluster
 * serves exactly the backed-up keys and values. Every backup subcommand accepts the local data dir; a running
 * cluster and a directory that is not a local one are refused (exit 2) with what to do.
 */
class LocalModeBackupRestoreEndToEndTest {
    /** Keys per range of local mode's four ranges (split points "g", "n", "t"). */
    private static final int KEYS_PER_RANGE = 10;
    private static final String DATABASE = "omendb";

    @TempDir
    Path tmp;

    private record Cli(int code, String out, String err) {
        String output() {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    @Test
    void backupAndRestoreWithTheDataDirAlone() throws Exception {
        Path data = tmp.resolve("data");
        Path backups = tmp.resolve("backups");
        Map<String, String> before = keys("a", "before");
        LocalProcess first = LocalProcess.start(data, tmp.resolve("first.log"));
        try (first) {
            putAll(first, before);
            first.stopAndExpectCleanExit();
        }

        Cli full = backup(backups, data, "full-backup", "--database", DATABASE);
        assertEquals(0, full.code(), full.output());
        Cli list = backup(backups, data, "list");
        assertEquals(0, list.code(), list.output());
        String id = list.out().split("\\s+")[0];
        assertTrue(id.startsWith(DATABASE + "-") && id.endsWith("-full"), list.output());
        Cli verify = backup(backups, data, "verify", "--backup-id", "latest");
        assertEquals(0, verify.code(), verify.output());

        Map<String, String> after = keys("z", "after");
        Map<String, String> overwritten = keys("a", "overwritten");
        try (LocalProcess second = first.restart(tmp.resolve("second.log"))) {
            putAll(second, after);
            putAll(second, overwritten);
            for (String sub : List.of("full-backup", "restore")) {
                Cli running = sub.equals("restore")
                        ? backup(backups, data, "restore", "--backup-id", "latest", "--force")
                        : backup(backups, data, sub, "--database", DATABASE);
                assertEquals(2, running.code(), running.output());
                assertTrue(running.err().contains("is running") && running.err().contains("stop `omendb local "
                        + "--data-dir " + data.toAbsolutePath().normalize() + "` first"), running.output());
            }
            second.stopAndExpectCleanExit();
        }
        Cli incremental = backup(backups, data, "incremental-backup", "--database", DATABASE);
        assertEquals(0, incremental.code(), incremental.output());

        Cli withoutForce = backup(backups, data, "restore", "--backup-id", id);
        assertEquals(2, withoutForce.code(), withoutForce.output());
        assertTrue(withoutForce.err().contains("--force"), withoutForce.output());
        FileOps.deleteRecursively(data.resolve("n2")); // a lost node dir is rebuilt too
        Cli restore = backup(backups, data, "restore", "--backup-id", id, "--force");
        assertEquals(0, restore.code(), restore.output());
        assertTrue(restore.out().contains("onto 3 nodes"), restore.output());

        try (LocalProcess third = first.restart(tmp.resolve("third.log"))) {
            for (Map.Entry<String, String> e : before.entrySet()) {
                assertEquals(e.getValue(), body(third.send("GET", "/v1/kv/" + e.getKey(), (String) null)), e.getKey());
            }
            for (String k : after.keySet()) {
                assertEquals(404, third.send("GET", "/v1/kv/" + k, (String) null).statusCode(), k);
            }
            assertEquals(before.keySet().stream().sorted().toList(), third.scanAll(1000));
            third.stopAndExpectCleanExit();
        }

        Cli cleanup = backup(backups, data, "cleanup", "--retention-days", "30");
        assertEquals(0, cleanup.code(), cleanup.output());
        Cli archive = backup(backups, data, "archive-log", "--log-archive-dir", tmp.resolve("archive").toString());
        assertEquals(0, archive.code(), archive.output());
        assertEquals(3, archive.out().lines().filter(l -> l.startsWith("archived ")).count(), archive.output());
    }

    @Test
    void restoreRefusesADataDirThatIsNotALocalOneWithoutConfigs() throws Exception {
        Path backups = tmp.resolve("backups");
        Files.createDirectories(backups);
        for (Path dir : List.of(tmp.resolve("absent"), Files.createDirectories(tmp.resolve("node-dir")))) {
            Cli refused = backup(backups, dir, "restore", "--backup-id", "latest", "--force");
            assertEquals(2, refused.code(), refused.output());
            assertTrue(refused.err().contains("is not the data dir of an `omendb local` cluster")
                    && refused.err().contains("--config FILE"), refused.output());
            assertFalse(Files.exists(tmp.resolve("absent")), "nothing is created");
        }
        Cli both = backup(backups, tmp.resolve("node-dir"), "restore", "--backup-id", "latest", "--config",
                tmp.resolve("n1.toml").toString());
        assertEquals(2, both.code(), both.output());
        assertTrue(both.err().contains("not both"), both.output());
    }

    /** {@code KEYS_PER_RANGE} keys in each of local mode's four ranges, every value tagged. */
    private static Map<String, String> keys(String prefix, String tag) {
        Map<String, String> out = new LinkedHashMap<>();
        for (char range : new char[] {'b', 'h', 'o', 'u'}) {
            for (int i = 0; i < KEYS_PER_RANGE; i++) {
                String key = range + prefix + String.format("%03d", i);
                out.put(key, tag + "-" + key);
            }
        }
        return out;
    }

    private static void putAll(LocalProcess local, Map<String, String> kv) throws Exception {
        for (Map.Entry<String, String> e : kv.entrySet()) {
            assertEquals(200, local.send("PUT", "/v1/kv/" + e.getKey(), e.getValue()).statusCode(), e.getKey());
        }
    }

    /** {@code omendb backup --backup-dir BACKUPS --data-dir DATA ARGS...}, in this JVM, as the CLI wires it. */
    private static Cli backup(Path backups, Path data, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = OmenDbCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] all = Stream.concat(Stream.of("backup", "--backup-dir", backups.toString(), "--data-dir",
                data.toString()), Stream.of(args)).toArray(String[]::new);
        return new Cli(cl.execute(all), out.toString(), err.toString());
    }
}
