package io.omendb.raft;

import io.omendb.raft.archive.RaftLogFiles;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.omendb.raft.TestClusters.assertLinearizable;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A single-node cluster in a separate JVM ({@code NodeMain node --config ...}) is killed with SIGKILL after
 * acknowledging writes; restarted, it must serve every acknowledged write (Raft log replay after the engine's
 * durable index, including across a snapshot taken before the kill). The kills leave no copy of RocksDB's native
 * library in the JVM's temporary directory, and the data directory holds one copy however often its node died.
 */
class KillNineRestartTest {
    private static final int KEYS = 400;
    private static final long READY_TIMEOUT_S = 60;

    @TempDir
    Path dir;

    @Test
    void acknowledgedWritesSurviveKillNine() throws Exception {
        int port = LocalCluster.freePorts(1)[0];
        Path config = dir.resolve("omendb.toml");
        Files.writeString(config, """
                [database]
                name = "kill9"
                data_dir = "%s"
                [wal]
                sync_on_write = true
                snapshot_threshold_entries = 150
                [http]
                port = %d
                [cluster]
                node_id = "n1"
                replication_factor = 1
                initial_split_points = ["m"]
                [[cluster.members]]
                id = "n1"
                raft_address = "127.0.0.1:%d"
                """.formatted(dir.resolve("data").toString().replace("\\", "/"), LocalCluster.freePorts(1)[0], port));
        OmenConfig cfg = ConfigLoader.load(config, Map.of());
        Map<String, String> acked = new LinkedHashMap<>();

        Process first = startNode(config);
        try (ClusterClient client = ClusterClient.connect(ClientOptions.from(cfg))) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(READY_TIMEOUT_S));
            awaitDescriptorsRecorded(client, table); // the node's own start-up entries, before the sequential puts
            for (int i = 0; i < KEYS; i++) {
                String key = (i % 2 == 0 ? "a" : "x") + i;
                put(client, key, "v" + i);
                acked.put(key, "v" + i);
            }
        } finally {
            first.destroyForcibly();
            assertTrue(first.waitFor(READY_TIMEOUT_S, TimeUnit.SECONDS));
        }
        assertEntriesRecordTheirPredecessorCommitted(dir.resolve("data"));
        assertEquals(List.of(), nativeLibraries(dir.resolve("jvm-tmp")), "a killed node leaks nothing in tmp");

        Process second = startNode(config);
        try (ClusterClient client = ClusterClient.connect(ClientOptions.from(cfg))) {
            client.awaitRangeTable(Duration.ofSeconds(READY_TIMEOUT_S));
            for (Map.Entry<String, String> e : acked.entrySet()) {
                assertLinearizable(client, e.getKey(), e.getValue());
            }
        } finally {
            second.destroyForcibly();
            assertTrue(second.waitFor(READY_TIMEOUT_S, TimeUnit.SECONDS));
        }
        assertEquals(List.of(), nativeLibraries(dir.resolve("jvm-tmp")));
        assertEquals(1, nativeLibraries(NodeDataLayout.of(dir.resolve("data")).nativeLibraryDir()).size(),
                "one copy of the library in the data dir after two kills");

        Process third = startNode(config);
        third.destroy();
        assertTrue(third.waitFor(READY_TIMEOUT_S, TimeUnit.SECONDS), "SIGTERM must stop the node");
        assertEquals(List.of(), nativeLibraries(NodeDataLayout.of(dir.resolve("data")).nativeLibraryDir()),
                "a clean stop removes the copy");
    }

    /** Waits (bounded) until the node's seeder made every range record its descriptor (one entry per range). */
    private static void awaitDescriptorsRecorded(ClusterClient client, RangeTable table) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_S);
        for (RangeDescriptor r : table.ranges()) {
            while (await(client.admin().recordedDescriptor(r.rangeId())) == null) {
                assertTrue(System.nanoTime() < deadline, "range " + r.rangeId() + " recorded no descriptor");
                Thread.sleep(50);
            }
        }
    }

    private static List<Path> nativeLibraries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("librocksdbjni")).toList();
        }
    }

    /**
     * The killed node's logs, as the offline backup reads them: the puts were sequential, so each command entry of
     * a range that took them must record the command entry before it as committed (CommandCodec's committed index,
     * which replaced Ratis' metadata entries). Snapshots purged the older entries: only what the logs still hold.
     */
    private static void assertEntriesRecordTheirPredecessorCommitted(Path dataDir) throws Exception {
        List<Path> logDirs = NodeDataLayout.of(dataDir).groups().stream().map(GroupDir::logDir).toList();
        int checked = 0;
        for (Path logDir : logDirs) {
            List<RaftLogFiles.LoggedEntry> commands = new ArrayList<>();
            for (RaftLogFiles.Segment seg : RaftLogFiles.list(logDir)) {
                RaftLogFiles.read(seg, e -> {
                    if (e.hasStateMachineLogEntry()) {
                        commands.add(RaftLogFiles.decode(e));
                    }
                    return true;
                });
            }
            if (commands.size() < 10) {
                continue; // the meta group: a few entries, some proposed concurrently
            }
            for (int i = 1; i < commands.size(); i++) {
                long previous = commands.get(i - 1).proto().getIndex();
                assertTrue(commands.get(i).logged().committedIndex() >= previous, logDir + ": entry "
                        + commands.get(i).proto().getIndex() + " records " + commands.get(i).logged().committedIndex()
                        + " committed, but the entry before it, " + previous + ", was answered before it was sent");
                checked++;
            }
        }
        assertTrue(checked >= 20, "only " + checked + " entries checked in " + logDirs);
    }

    private Process startNode(Path config) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path tmp = Files.createDirectories(dir.resolve("jvm-tmp"));
        Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-Djava.io.tmpdir=" + tmp,
                "-cp", System.getProperty("java.class.path"),
                NodeMain.class.getName(), "node", "--config", config.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.PIPE).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_S);
        String line;
        while ((line = out.readLine()) != null) {
            if (line.contains("ready")) {
                drain(out);
                return p;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("node process did not become ready (exit " + (p.isAlive() ? "alive" : p.exitValue())
                + "), last line: " + line);
    }

    /** Keeps reading the child's output so it never blocks on a full pipe. */
    private static void drain(BufferedReader out) {
        Thread t = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (Exception ignored) {
                // the child exited
            }
        }, "node-output-drain");
        t.setDaemon(true);
        t.start();
    }
}
