package io.omendb.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.omendb.raft.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.omendb.app.LocalProcess.body;
import static io.omendb.app.LocalProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Adding a node as an operator does it (docs/OPERATIONS.md "Adding a node"), against {@code omendb local --nodes 3}
 * (replication factor 3, four ranges) in its own JVM: a file with {@code [cluster] join = true} but no other member is
 * refused (exit 2, naming {@code cluster.join}); {@code omendb node --config n4.toml}, whose file lists the running
 * cluster's three members and then n4, starts in a JVM of its own while a writer writes to every range; the placement
 * driver moves replicas onto n4 until every node holds within one of the mean ({@code GET /admin/nodes}, and
 * {@code omendb admin nodes}); a second node calling itself n4 is refused at start (exit 1); every acknowledged write
 * reads back. Then both processes stop and start again: the local cluster, whose nodes' files never named n4, still
 * lists it, at its address, with its replicas, and every acknowledged write reads back.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class JoinEndToEndTest {
    /** How long the balance may take: the first placement round comes 60 s after start, then three copies. */
    static final long BALANCE_WAIT_S = 240;
    static final Duration READY_WAIT = Duration.ofSeconds(120);
    static final long STOP_WAIT_S = 30;
    /** Replicas per node once balanced: 4 ranges x 3 replicas over 4 nodes, within one. */
    static final double MEAN_REPLICAS = 3.0;

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void aNodeStartedWithJoinGetsReplicasAndStaysAcrossRestarts() throws Exception {
        Path data = tmp.resolve("data");
        Map<String, String> acked = new ConcurrentHashMap<>();
        AtomicInteger unacknowledged = new AtomicInteger();
        try (LocalProcess local = LocalProcess.start(data, tmp.resolve("local.log"), 3)) {
            LocalLayout layout = LocalLayout.loadOrCreate(data, null, null, LocalCommand.NODES_DEFAULT,
                    LocalCommand.RANGES_DEFAULT);
            Path alone = write("alone.toml", nodeToml("n4", tmp.resolve("alone"), LocalCluster.freePorts(3), null,
                    local.httpPort));
            Process refused = node(alone, tmp.resolve("alone.log"));
            assertTrue(refused.waitFor(READY_WAIT.toSeconds(), TimeUnit.SECONDS));
            assertEquals(OmenDbCli.EXIT_CONFIG, refused.exitValue(), Files.readString(tmp.resolve("alone.log")));
            assertTrue(Files.readString(tmp.resolve("alone.log")).contains("cluster.join"));

            int[] n4Ports = LocalCluster.freePorts(3);
            Path n4Toml = write("n4.toml", nodeToml("n4", tmp.resolve("n4"), n4Ports, layout, local.httpPort));
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = local.writer("join-e2e-writer", acked, unacknowledged, stop);
            writer.start();
            Process n4 = node(n4Toml, tmp.resolve("n4.log"));
            try { // a failed assertion must not leave n4 running (destroying a stopped process does nothing)
                try {
                    awaitReady(n4, n4Ports[1], tmp.resolve("n4.log"));
                    JsonNode joined = awaitBalanced(local);
                    assertEquals("127.0.0.1:" + n4Ports[0], joined.get("raft_address").asText(), joined.toString());
                    assertTrue(joined.has("bytes"), "bytes are reported: " + joined);

                    int[] otherPorts = LocalCluster.freePorts(3);
                    Path twin = write("twin.toml", nodeToml("n4", tmp.resolve("twin"), otherPorts, layout,
                            local.httpPort));
                    Process taken = node(twin, tmp.resolve("twin.log"));
                    assertTrue(taken.waitFor(READY_WAIT.toSeconds(), TimeUnit.SECONDS));
                    String twinLog = Files.readString(tmp.resolve("twin.log"));
                    assertEquals(OmenDbCli.EXIT_START_FAILED, taken.exitValue(), twinLog);
                    assertTrue(twinLog.contains("'n4' is registered already"), twinLog);
                } finally {
                    stop.set(true);
                    writer.join();
                }
                assertTrue(acked.size() > 0, "the writer wrote while n4 joined");
                assertEveryWriteReadsBack(local, acked);
                LocalProcess.CliRun nodes = local.admin(tmp, "nodes");
                assertEquals(0, nodes.exitCode(), nodes.toString());
                assertEquals("n4", LocalProcess.JSON.readTree(nodes.stdout()).get("nodes").get(3).get("id").asText(),
                        nodes.stdout());

                stopCleanly(n4);
            } finally {
                n4.destroyForcibly();
            }
            local.stopAndExpectCleanExit();
            try (LocalProcess restarted = local.restart(tmp.resolve("local-2.log"))) {
                Process n4Again = node(n4Toml, tmp.resolve("n4-2.log"));
                try {
                    awaitReady(n4Again, n4Ports[1], tmp.resolve("n4-2.log"));
                    JsonNode after = awaitBalanced(restarted);
                    assertEquals("127.0.0.1:" + n4Ports[0], after.get("raft_address").asText(), after.toString());
                    assertEveryWriteReadsBack(restarted, acked);
                } finally {
                    stopCleanly(n4Again);
                }
                restarted.stopAndExpectCleanExit();
            }
            System.out.println("join e2e: " + acked.size() + " acknowledged writes, " + unacknowledged.get()
                    + " not acknowledged, " + local.retries.get() + " retried");
        }
    }

    /**
     * n4's file: the local cluster's members as its nodes' files list them (when {@code layout} is given), then n4;
     * its own HTTP router without authentication; its metrics on a port of its own.
     */
    private static String nodeToml(String id, Path dataDir, int[] ports, LocalLayout layout, int localHttpPort) {
        StringBuilder toml = new StringBuilder("""
                [database]
                data_dir = "%s"
                [http]
                bind_address = "127.0.0.1"
                port = %d
                [monitoring]
                metrics_bind_address = "127.0.0.1"
                metrics_port = %d
                [security]
                auth_enabled = false
                [cluster]
                node_id = "%s"
                replication_factor = %d
                join = true
                """.formatted(dataDir, ports[1], ports[2], id, layout == null ? 1 : 3));
        for (int i = 0; layout != null && i < layout.nodes(); i++) {
            toml.append(member("n" + (i + 1), layout.raftPorts()[i], localHttpPort));
        }
        toml.append(member(id, ports[0], ports[1]));
        return toml.toString();
    }

    private static String member(String id, int raftPort, int httpPort) {
        return """
                [[cluster.members]]
                id = "%s"
                raft_address = "127.0.0.1:%d"
                http_address = "127.0.0.1:%d"
                """.formatted(id, raftPort, httpPort);
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(tmp.resolve(name), content);
    }

    /** {@code omendb node --config CONFIG} in a JVM of its own, its output in {@code log}. */
    private static Process node(Path config, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx384m", "-cp", System.getProperty("java.class.path"),
                OmenDbCli.class.getName(), "node", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private void awaitReady(Process node, int httpPort, Path log) throws Exception {
        long deadline = System.nanoTime() + READY_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!node.isAlive()) {
                fail("the node exited with " + node.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                        + "/ready")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // its router starts once it registered
            }
            Thread.sleep(200);
        }
        fail("the node was not ready within " + READY_WAIT + ":\n" + Files.readString(log));
    }

    /** Waits until {@code GET /admin/nodes} lists four live nodes within one of the mean replicas; returns n4's entry. */
    private static JsonNode awaitBalanced(LocalProcess local) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BALANCE_WAIT_S);
        JsonNode nodes = null;
        while (System.nanoTime() < deadline) {
            nodes = json(local.send("GET", "/admin/nodes", (String) null)).get("nodes");
            boolean balanced = nodes.size() == 4;
            for (JsonNode n : nodes) {
                balanced &= n.get("state").asText().equals("live")
                        && Math.abs(n.get("replicas").asInt() - MEAN_REPLICAS) <= 1;
            }
            if (balanced) {
                assertEquals("n4", nodes.get(3).get("id").asText(), nodes.toString());
                return nodes.get(3);
            }
            Thread.sleep(1_000);
        }
        return fail("not balanced over four nodes within " + BALANCE_WAIT_S + " s: " + nodes);
    }

    private static void assertEveryWriteReadsBack(LocalProcess local, Map<String, String> acked) throws Exception {
        for (Map.Entry<String, String> e : acked.entrySet()) {
            HttpResponse<byte[]> r = local.send("GET", "/v1/kv/" + e.getKey(), (String) null);
            assertEquals(200, r.statusCode(), "acknowledged write lost: " + e.getKey());
            assertEquals(e.getValue(), body(r), e.getKey());
        }
    }

    private static void stopCleanly(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(STOP_WAIT_S, TimeUnit.SECONDS), "no exit within " + STOP_WAIT_S + " s");
        assertEquals(0, p.exitValue());
    }
}
