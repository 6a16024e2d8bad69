package io.omendb.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omendb.raft.LocalCluster;
import io.omendb.raft.OmenNode;
import io.omendb.raft.TestClusters;
import io.omendb.raft.archive.ArchiveFiles;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ReadOptions;
import io.omendb.raft.client.Results;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.router.cluster.DiskFootprint;
import io.omendb.storage.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code omendb backup} end to end against a 3-node, 4-range cluster in this JVM, each node with its own router
 * (node mode: every router serves only its node's checkpoints): full backup under write load, more writes,
 * incremental backup, every node's data destroyed, restore of the incremental onto the stopped cluster, start, and
 * then the cluster's contents equal exactly the writes acknowledged before each range's checkpoint index (every
 * write acknowledged before the backup started among them) and every replica's digest equals the backup's. Then
 * verify catches a flipped byte and a missing chain link, and the refusals (no --force, --until, other database).
 */
class BackupRestoreEndToEndTest {
    private static final String DB = "shop";
    private static final int KEYS = 2000;
    private static final long CALL_TIMEOUT_S = 60;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long ARCHIVE_INTERVAL_MS = 200;
    private static final long ARCHIVE_WAIT_MS = 60_000;

    @TempDir
    Path tmp;

    /** One acknowledged write: its range-local revision and the value (null: a delete). */
    private record Op(long revision, String value) {
    }

    @Test
    void fullIncrementalRestoreVerify() throws Exception {
        int[] ports = LocalCluster.freePorts(6);
        List<Path> configFiles = new ArrayList<>();
        List<OmenConfig> configs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path file = tmp.resolve("n" + (i + 1) + ".toml");
            Files.writeString(file, toml(i, ports));
            configFiles.add(file);
            configs.add(ConfigLoader.load(file, Map.of()));
        }
        Path backups = tmp.resolve("backups");
        String url = "http://127.0.0.1:" + ports[3];
        Map<String, List<Op>> acked = new ConcurrentHashMap<>();
        String fullId;
        String incrId;
        try (Running cluster = Running.start(configs); ClusterClient client = ClusterClient.connect(
                ClientOptions.from(configs.get(0)))) {
            client.awaitRangeTable(java.time.Duration.ofSeconds(CALL_TIMEOUT_S));
            Random random = new Random(42);
            for (int i = 0; i < 300; i++) {
                write(client, acked, random, i);
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                Random r = new Random(7);
                try {
                    for (int i = 300; !stop.get(); i++) {
                        write(client, acked, r, i);
                    }
                } catch (Throwable t) {
                    writerFailure.set(t);
                }
            }, "backup-test-writer");
            writer.start();
            try {
                Map<String, List<Op>> before = snapshot(acked);
                Cli full = cli("--backup-dir", backups.toString(), "--cluster", url, "full-backup", "--database", DB);
                assertEquals(0, full.code, full.output());
                System.out.println(full.out);
                fullId = onlyBackupId(backups);
                assertAllPresent(backups, fullId, before);
                Thread.sleep(1500); // more writes between the backups
                Map<String, List<Op>> beforeIncr = snapshot(acked);
                Cli incr = cli("--backup-dir", backups.toString(), "--cluster", url, "incremental-backup",
                        "--database", DB);
                assertEquals(0, incr.code, incr.output());
                System.out.println(incr.out);
                Cli list = cli("--backup-dir", backups.toString(), "list", "--database", DB);
                assertEquals(0, list.code, list.output());
                incrId = list.out.lines().findFirst().orElseThrow().split(" ")[0];
                assertTrue(incrId.endsWith("-incr"), list.output());
                assertAllPresent(backups, incrId, beforeIncr);
            } finally {
                stop.set(true);
                writer.join(TimeUnit.SECONDS.toMillis(CALL_TIMEOUT_S));
            }
            assertNull(writerFailure.get(), "every write must be acknowledged");
            Cli other = cli("--backup-dir", backups.toString(), "--cluster", url, "full-backup", "--database", "other");
            assertEquals(2, other.code, other.output());
            assertTrue(other.err.contains("serves database 'shop'"), other.output());
        }
        JsonNode incr = manifest(backups, incrId);
        assertEquals(fullId, incr.path("parentId").asText());
        assertTrue(ownBytes(incr, incrId) < totalBytes(incr), "the incremental must reuse files of the full backup");

        Cli refused = cli(restoreArgs(backups, incrId, configFiles, false));
        assertEquals(2, refused.code, refused.output());
        assertTrue(refused.err.contains("refusing to overwrite"), refused.output());
        Cli until = cli("--backup-dir", backups.toString(), "restore", "--backup-id", incrId, "--until",
                "yesterday");
        assertEquals(2, until.code, until.output());
        assertTrue(until.err.contains("not an ISO-8601 time"), until.output());

        for (OmenConfig c : configs) {
            deleteRecursively(c.database().dataDir()); // disaster: every node's data is gone
        }
        Cli restore = cli(restoreArgs(backups, incrId, configFiles, false));
        assertEquals(0, restore.code, restore.output());
        System.out.println(restore.out);

        try (Running cluster = Running.start(configs); ClusterClient client = ClusterClient.connect(
                ClientOptions.from(configs.get(0)))) {
            client.awaitRangeTable(java.time.Duration.ofSeconds(CALL_TIMEOUT_S));
            TreeMap<String, String> expected = new TreeMap<>();
            for (Map.Entry<String, List<Op>> e : acked.entrySet()) {
                long index = rangeIndex(incr, client.rangeTable().rangeForKey(b(e.getKey())).rangeId());
                String v = null;
                for (Op op : e.getValue()) {
                    if (op.revision() <= index) {
                        v = op.value();
                    }
                }
                if (v != null) {
                    expected.put(e.getKey(), v);
                }
            }
            assertTrue(expected.size() > 200, "the backup holds " + expected.size() + " keys");
            assertEquals(expected, readAll(client), "restored contents = writes acknowledged before the checkpoint");
            for (RangeDescriptor r : client.rangeTable().ranges()) {
                String want = rangeNode(incr, r.rangeId()).path("digest").asText();
                for (String node : r.peerIds()) {
                    byte[] got = client.admin().replicaDigest(r.rangeId(), node, 0).get(CALL_TIMEOUT_S,
                            TimeUnit.SECONDS).sha256();
                    assertEquals(want, HexFormat.of().formatHex(got), "range " + r.rangeId() + " on " + node);
                }
                assertEquals(want, digestOf(expected, r), "manifest digest of range " + r.rangeId());
            }
            // the restored cluster takes writes
            client.put(b("after-restore"), b("yes")).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
        }

        Cli ok = cli("--backup-dir", backups.toString(), "verify", "--backup-id", "latest");
        assertEquals(0, ok.code, ok.output());
        Path segment;
        try (Stream<Path> s = Files.walk(backups.resolve(fullId))) {
            segment = s.filter(p -> p.toString().endsWith(".oseg")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(segment);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(segment, bytes);
        Cli flipped = cli("--backup-dir", backups.toString(), "verify", "--backup-id", fullId);
        assertEquals(1, flipped.code, flipped.output());
        assertTrue(flipped.err.contains("damaged"), flipped.output());
        Files.move(backups.resolve(fullId), tmp.resolve("moved-away"));
        Cli broken = cli("--backup-dir", backups.toString(), "verify", "--backup-id", incrId);
        assertEquals(1, broken.code, broken.output());
        assertTrue(broken.err.contains("broken chain"), broken.output());
    }

    /**
     * Point-in-time restore and a backup of a stopped node's data dir, on a cluster archiving its Raft logs: full
     * backup, writes A, time T, writes B; restore to T into fresh data dirs gives exactly A (B absent), replica
     * digests as computed from the acknowledged writes; a time before the backup, a gap and a damaged archive
     * file are refused with nothing written; a running node's data dir is refused as a source; the stopped node's
     * data dir backs up to the digests the cluster served.
     */
    @Test
    void pointInTimeRestoreAndStoppedNodeBackup() throws Exception {
        int[] ports = LocalCluster.freePorts(6);
        Path backups = tmp.resolve("backups");
        Path archive = backups.resolve("log-archive");
        List<OmenConfig> configs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            configs.add(ConfigLoader.parse(toml(i, ports, tmp.resolve("data"), archive), Map.of()));
        }
        String url = "http://127.0.0.1:" + ports[3];
        Instant beforeBackup;
        Instant t;
        String fullId;
        TreeMap<String, String> model = new TreeMap<>();
        TreeMap<String, String> atT;
        Map<Long, String> servedDigest = new TreeMap<>();
        try (Running cluster = Running.start(configs); ClusterClient client = ClusterClient.connect(
                ClientOptions.from(configs.get(0)))) {
            client.awaitRangeTable(java.time.Duration.ofSeconds(CALL_TIMEOUT_S));
            Random random = new Random(11);
            for (int i = 0; i < 200; i++) {
                apply(client, model, random, "a0-" + i);
            }
            beforeBackup = Instant.now();
            Thread.sleep(20);
            Cli full = cli("--backup-dir", backups.toString(), "--cluster", url, "full-backup", "--database", DB);
            assertEquals(0, full.code, full.output());
            fullId = backupIdOf(full);
            JsonNode m = manifest(backups, fullId);
            for (JsonNode r : m.path("ranges")) {
                awaitArchived(archive, r.path("groupId").asText(), r.path("index").asLong());
            }
            for (int i = 0; i < 300; i++) {
                apply(client, model, random, "A-" + i);
            }
            Thread.sleep(20);
            t = Instant.now();
            atT = new TreeMap<>(model);
            Thread.sleep(20);
            for (int i = 0; i < 300; i++) {
                apply(client, model, random, "B-" + i);
            }
            Cli running = cli("--backup-dir", backups.toString(), "--data-dir", configs.get(0).database().dataDir()
                    .toString(), "full-backup", "--database", DB);
            assertEquals(2, running.code, running.output());
            assertTrue(running.err.contains("is running"), running.output());
            for (RangeDescriptor r : client.rangeTable().ranges()) {
                long last = client.put(r.start().length == 0 ? b("0") : r.start(), b("last"))
                        .get(CALL_TIMEOUT_S, TimeUnit.SECONDS).revision();
                model.put(new String(r.start().length == 0 ? b("0") : r.start(), StandardCharsets.UTF_8), "last");
                for (String node : r.peerIds()) {
                    // a follower may not have applied `last` yet: wait for it, bounded, as the cluster tests do
                    String d = HexFormat.of().formatHex(TestClusters.replicaDigestOnceReachable(client, r.rangeId(),
                            node, last));
                    assertEquals(servedDigest.computeIfAbsent(r.rangeId(), k -> d), d, "replicas converge");
                }
            }
        }
        assertTrue(!atT.equals(model), "B changed the contents");

        // the cluster is stopped: its first node's data dir is a backup source
        Cli fromDir = cli("--backup-dir", backups.toString(), "--data-dir", configs.get(0).database().dataDir()
                .toString(), "full-backup", "--database", DB);
        assertEquals(0, fromDir.code, fromDir.output());
        System.out.println(fromDir.out);
        String dirId = backupIdOf(fromDir);
        JsonNode dirManifest = manifest(backups, dirId);
        for (JsonNode r : dirManifest.path("ranges")) {
            assertEquals(servedDigest.get(r.path("rangeId").asLong()), r.path("digest").asText(),
                    "the stopped node's backup of range " + r.path("rangeId") + " holds what the cluster served");
        }
        Cli verifyDir = cli("--backup-dir", backups.toString(), "verify", "--backup-id", dirId);
        assertEquals(0, verifyDir.code, verifyDir.output());
        // the stopped node's log archived offline into another archive: everything once, then nothing more
        String[] archiveLog = {"--backup-dir", backups.toString(), "--data-dir", configs.get(0).database().dataDir()
                .toString(), "archive-log", "--log-archive-dir", tmp.resolve("offline-archive").toString()};
        Cli offline = cli(archiveLog);
        assertEquals(0, offline.code, offline.output());
        System.out.println(offline.out);
        assertTrue(offline.out.matches("(?s).*archived [1-9][0-9]* entries .*"), offline.output());
        Cli again = cli(archiveLog);
        assertEquals(0, again.code, again.output());
        assertTrue(again.out.contains("archived 0 entries (0 bytes)"), again.output());

        // point-in-time restore into fresh data dirs with a fresh archive
        List<Path> targetFiles = targets(ports, tmp.resolve("restored"), tmp.resolve("archive2"));
        List<Path> sameArchive = targets(ports, tmp.resolve("refused"), archive);
        Cli mixed = cli(untilArgs(backups, "latest", t, sameArchive));
        assertEquals(2, mixed.code, mixed.output());
        assertTrue(mixed.err.contains("already holds the log archive"), mixed.output());
        Cli tooEarly = cli(untilArgs(backups, "latest", beforeBackup, targetFiles));
        assertEquals(2, tooEarly.code, tooEarly.output());
        assertTrue(tooEarly.err.contains("can serve --until"), tooEarly.output());
        Cli pitr = cli(untilArgs(backups, "latest", t, targetFiles));
        assertEquals(0, pitr.code, pitr.output());
        System.out.println(pitr.out);
        assertTrue(pitr.out.contains("restoring backup " + fullId), "the newest backup taken before T (a data-dir "
                + "backup has no checkpoint entry in the log to place it in time):\n" + pitr.output());
        List<OmenConfig> restored = new ArrayList<>();
        for (Path f : targetFiles) {
            restored.add(ConfigLoader.load(f, Map.of()));
        }
        try (Running cluster = Running.start(restored); ClusterClient client = ClusterClient.connect(
                ClientOptions.from(restored.get(0)))) {
            client.awaitRangeTable(java.time.Duration.ofSeconds(CALL_TIMEOUT_S));
            assertEquals(atT, readAll(client), "restored to T: every write of A, none of B");
            for (RangeDescriptor r : client.rangeTable().ranges()) {
                for (String node : r.peerIds()) {
                    byte[] got = client.admin().replicaDigest(r.rangeId(), node, 0).get(CALL_TIMEOUT_S,
                            TimeUnit.SECONDS).sha256();
                    assertEquals(digestOf(atT, r), HexFormat.of().formatHex(got), "range " + r.rangeId() + " on "
                            + node);
                }
            }
        }

        // a damaged archive file (every copy) and a gap are refused, and nothing is written
        JsonNode m = manifest(backups, fullId);
        JsonNode r1 = m.path("ranges").get(0);
        JsonNode r2 = m.path("ranges").get(1);
        for (ArchiveFiles.Archived f : archivedCovering(archive, r2.path("groupId").asText(), r2.path("index").asLong())) {
            byte[] bytes = Files.readAllBytes(f.path());
            bytes[bytes.length - 5] ^= 0x04;
            Files.write(f.path(), bytes);
        }
        List<Path> damagedTargets = targets(ports, tmp.resolve("damaged"), tmp.resolve("archive3"));
        Cli damaged = cli(untilArgs(backups, fullId, t, damagedTargets));
        assertEquals(1, damaged.code, damaged.output());
        assertTrue(damaged.err.contains("no intact archived copy"), damaged.output());
        long r1Index = r1.path("index").asLong();
        List<ArchiveFiles.Archived> r1Files = archivedCovering(archive, r1.path("groupId").asText(), r1Index);
        for (ArchiveFiles.Archived f : r1Files) {
            Files.delete(f.path());
        }
        assertTrue(listArchived(archive, r1.path("groupId").asText()).stream().anyMatch(f -> f.firstIndex() > r1Index),
                "later entries stay archived, so the missing ones are a gap, not the end of the archive");
        Cli gap = cli(untilArgs(backups, fullId, t, damagedTargets));
        assertEquals(1, gap.code, gap.output());
        assertTrue(gap.err.contains("has no entries " + r1Index + ".."), gap.output());
        for (int i = 1; i <= 3; i++) {
            assertTrue(Files.notExists(tmp.resolve("damaged").resolve("n" + i)), "nothing restored: " + gap.output());
        }
    }

    /** The id in a backup command's "backup ID complete: ..." line. */
    private static String backupIdOf(Cli c) {
        return c.out.lines().filter(l -> l.startsWith("backup ") && l.contains(" complete: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no completion line:\n" + c.output())).split(" ")[1];
    }

    /** One put or delete of a random key, reflected in {@code model} once acknowledged. */
    private static void apply(ClusterClient client, TreeMap<String, String> model, Random random, String tag)
            throws Exception {
        String key = String.format("k%04d", random.nextInt(KEYS));
        if (random.nextInt(10) == 0) {
            client.delete(b(key)).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
            model.remove(key);
        } else {
            String value = tag + "-" + "y".repeat(random.nextInt(100));
            client.put(b(key), b(value)).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
            model.put(key, value);
        }
    }

    /** Waits (bounded) until some node's archive of {@code group} reaches {@code index}. */
    private static void awaitArchived(Path archive, String group, long index) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ARCHIVE_WAIT_MS);
        while (listArchived(archive, group).stream().noneMatch(f -> f.lastIndex() >= index)) {
            assertTrue(System.nanoTime() < deadline, "group " + group + " not archived up to " + index);
            Thread.sleep(ARCHIVE_INTERVAL_MS);
        }
    }

    /** Every node's archive files of {@code group} that hold entry {@code index}. */
    private static List<ArchiveFiles.Archived> archivedCovering(Path archive, String group, long index)
            throws Exception {
        return listArchived(archive, group).stream().filter(f -> f.firstIndex() <= index && f.lastIndex() >= index)
                .toList();
    }

    private static List<ArchiveFiles.Archived> listArchived(Path archive, String group) throws Exception {
        List<ArchiveFiles.Archived> out = new ArrayList<>();
        Path dir = archive.resolve(group);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> nodes = Files.list(dir)) {
                for (Path n : nodes.toList()) {
                    out.addAll(ArchiveFiles.list(n));
                }
            }
        }
        return out;
    }

    /** Config files of a 3-node target cluster on {@code ports} with its data under {@code root}. */
    private List<Path> targets(int[] ports, Path root, Path archive) throws Exception {
        List<Path> files = new ArrayList<>();
        Files.createDirectories(tmp.resolve("configs"));
        for (int i = 0; i < 3; i++) {
            Path f = tmp.resolve("configs").resolve(root.getFileName() + "-n" + (i + 1) + ".toml");
            Files.writeString(f, toml(i, ports, root, archive));
            files.add(f);
        }
        return files;
    }

    private static String[] untilArgs(Path backups, String id, Instant until, List<Path> configs) {
        List<String> args = new ArrayList<>(List.of(restoreArgs(backups, id, configs, false)));
        args.add("--until");
        args.add(until.toString());
        return args.toArray(String[]::new);
    }

    // ------------------------------------------------------------------ helpers

    private static void write(ClusterClient client, Map<String, List<Op>> acked, Random random, int seq)
            throws Exception {
        String key = String.format("k%04d", random.nextInt(KEYS));
        if (seq % 10 == 9) {
            Results.DeleteResult d = client.delete(b(key)).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
            acked.computeIfAbsent(key, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(new Op(d.revision(), null));
        } else {
            String value = "v" + seq + "-" + "x".repeat(random.nextInt(200));
            Results.WriteResult w = client.put(b(key), b(value)).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
            acked.computeIfAbsent(key, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(new Op(w.revision(), value));
        }
    }

    private static Map<String, List<Op>> snapshot(Map<String, List<Op>> acked) {
        Map<String, List<Op>> out = new TreeMap<>();
        acked.forEach((k, v) -> {
            synchronized (v) {
                out.put(k, List.copyOf(v));
            }
        });
        return out;
    }

    /** Every write acknowledged before the backup started is at or below its range's checkpoint index. */
    private static void assertAllPresent(Path backups, String id, Map<String, List<Op>> before) throws Exception {
        JsonNode m = manifest(backups, id);
        for (Map.Entry<String, List<Op>> e : before.entrySet()) {
            long index = -1;
            for (JsonNode r : m.path("ranges")) {
                String start = r.path("startHex").asText();
                String end = r.path("endHex").isNull() ? null : r.path("endHex").asText();
                String k = HexFormat.of().formatHex(b(e.getKey()));
                if (k.compareTo(start) >= 0 && (end == null || k.compareTo(end) < 0)) {
                    index = r.path("index").asLong();
                }
            }
            for (Op op : e.getValue()) {
                assertTrue(op.revision() < index, e.getKey() + " acknowledged at " + op.revision()
                        + " before backup " + id + " but the checkpoint is at " + index);
            }
        }
    }

    private static TreeMap<String, String> readAll(ClusterClient client) throws Exception {
        TreeMap<String, String> out = new TreeMap<>();
        for (RangeDescriptor r : client.rangeTable().ranges()) {
            byte[] start = r.start();
            while (start != null) {
                Results.ScanResult page = client.scanRange(r.rangeId(), start, null, 1000,
                        ReadOptions.linearizable()).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
                for (KeyValue kv : page.entries()) {
                    out.put(new String(kv.key(), StandardCharsets.UTF_8), new String(kv.value(), StandardCharsets.UTF_8));
                }
                start = page.nextStart();
            }
        }
        return out;
    }

    /** The engine's digest format: SHA-256 over (int key length, int value length, key, value) in key order. */
    private static String digestOf(TreeMap<String, String> contents, RangeDescriptor r) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (Map.Entry<String, String> e : contents.entrySet()) {
            byte[] k = b(e.getKey());
            if (!r.contains(k)) {
                continue;
            }
            byte[] v = b(e.getValue());
            sha.update(ByteBuffer.allocate(8).putInt(k.length).putInt(v.length).array());
            sha.update(k);
            sha.update(v);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static JsonNode manifest(Path backups, String id) throws Exception {
        String text = Files.readString(backups.resolve(id).resolve("MANIFEST"));
        return JSON.readTree(text.substring(text.indexOf('\n') + 1));
    }

    private static JsonNode rangeNode(JsonNode manifest, long rangeId) {
        for (JsonNode r : manifest.path("ranges")) {
            if (r.path("rangeId").asLong() == rangeId) {
                return r;
            }
        }
        throw new AssertionError("no range " + rangeId);
    }

    private static long rangeIndex(JsonNode manifest, long rangeId) {
        return rangeNode(manifest, rangeId).path("index").asLong();
    }

    private static long ownBytes(JsonNode manifest, String id) {
        long n = 0;
        for (JsonNode r : manifest.path("ranges")) {
            for (JsonNode f : r.path("files")) {
                n += f.path("storedIn").asText().equals(id) ? f.path("sizeBytes").asLong() : 0;
            }
        }
        return n;
    }

    private static long totalBytes(JsonNode manifest) {
        long n = 0;
        for (JsonNode r : manifest.path("ranges")) {
            for (JsonNode f : r.path("files")) {
                n += f.path("sizeBytes").asLong();
            }
        }
        return n;
    }

    private static String onlyBackupId(Path backups) throws Exception {
        try (Stream<Path> s = Files.list(backups)) {
            List<String> ids = s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
            assertEquals(1, ids.size(), ids.toString());
            return ids.get(0);
        }
    }

    private static String[] restoreArgs(Path backups, String id, List<Path> configs, boolean force) {
        List<String> args = new ArrayList<>(List.of("--backup-dir", backups.toString(), "restore", "--backup-id", id));
        for (Path c : configs) {
            args.add("--config");
            args.add(c.toString());
        }
        if (force) {
            args.add("--force");
        }
        return args.toArray(String[]::new);
    }

    private record Cli(int code, String out, String err) {
        String output() {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private static Cli cli(String... backupArgs) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = OmenDbCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] args = Stream.concat(Stream.of("backup"), Stream.of(backupArgs)).toArray(String[]::new);
        int code = cl.execute(args);
        return new Cli(code, out.toString(), err.toString());
    }

    private String toml(int i, int[] ports) {
        return toml(i, ports, tmp.resolve("data"), null);
    }

    /** Node {@code i}'s config with its data in {@code dataRoot/n<i+1>}; archiving into {@code archiveOrNull}. */
    private String toml(int i, int[] ports, Path dataRoot, Path archiveOrNull) {
        StringBuilder members = new StringBuilder();
        for (int j = 0; j < 3; j++) {
            members.append("[[cluster.members]]\nid = \"n").append(j + 1).append("\"\nraft_address = \"127.0.0.1:")
                    .append(ports[j]).append("\"\nhttp_address = \"127.0.0.1:").append(ports[3 + j]).append("\"\n");
        }
        return """
                [database]
                name = "%s"
                data_dir = "%s"
                [storage]
                fsync_enabled = false
                [security]
                auth_enabled = false
                [http]
                bind_address = "127.0.0.1"
                port = %d
                [monitoring]
                metrics_enabled = false
                [cluster]
                node_id = "n%d"
                replication_factor = 3
                initial_split_points = ["k0500", "k1000", "k1500"]
                """.formatted(DB, dataRoot.resolve("n" + (i + 1)), ports[3 + i], i + 1) + members
                + (archiveOrNull == null ? "" : "[backup]\nlog_archive_dir = \"" + archiveOrNull
                        + "\"\nlog_archive_interval_ms = " + ARCHIVE_INTERVAL_MS + "\n");
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void deleteRecursively(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    /** The nodes and one router per node (node mode), closed in reverse order. */
    private static final class Running implements AutoCloseable {
        private final Closer closer = new Closer();

        static Running start(List<OmenConfig> configs) throws Exception {
            Running r = new Running();
            try {
                for (OmenConfig c : configs) {
                    r.closer.register(OmenNode.start(c));
                }
                for (OmenConfig c : configs) {
                    r.closer.register(RouterService.start(c, ClientOptions.from(c),
                            new DiskFootprint(List.of(c.database().dataDir()), System::nanoTime)));
                }
                return r;
            } catch (Exception e) {
                r.close();
                throw e;
            }
        }

        @Override
        public void close() {
            closer.close();
        }
    }
}
