package io.omendb.app;

import io.omendb.router.http.HttpServerOptions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code omendb node --config} on the operations guide's example file ({@code conf/omendb-guide-example.toml}: no
 * {@code [cluster]} section, the guide's key names), as a separate JVM, with TLS turned off in the file and
 * {@code OMENDB_AUTH_DISABLED=true}: it starts a one-node cluster that says so in its log, logs why it ignores the
 * guide's meaningless keys, answers {@code /health} and {@code /ready}, stores and reads a value, serves metrics on
 * the guide's {@code prometheus_port}, and stops cleanly on SIGTERM.
 */
class GuideConfigEndToEndTest {
    private static final Path GUIDE_EXAMPLE = Path.of("..", "conf", "omendb-guide-example.toml");
    /** Generous: on a shared 2-core machine a node took tens of seconds to start. */
    private static final Duration READY_WAIT = Duration.ofSeconds(120);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final long STOP_WAIT_SECONDS = 30;
    /** Tries at finding a free HTTP port whose Raft port (http + 4000) is free as well. */
    private static final int PORT_PICKS_MAX = 50;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void theGuidesFileStartsAOneNodeClusterThatServes(@TempDir Path tmp) throws Exception {
        int httpPort = freePortWithFreeRaftPort();
        int metricsPort = freePort();
        Path config = tmp.resolve("omendb.toml");
        Files.writeString(config, replaceOnce(replaceOnce(Files.readString(GUIDE_EXAMPLE),
                "tls_enabled = true", "tls_enabled = false"),
                "prometheus_port = 9090", "prometheus_port = " + metricsPort));
        Path log = tmp.resolve("node.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                OmenDbCli.class.getName(), "node", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put(ConfigLoader.ENV_AUTH_DISABLED, "true");
        pb.environment().put(ConfigLoader.ENV_DATA_DIR, tmp.resolve("data").toString());
        pb.environment().put(ConfigLoader.ENV_HTTP_PORT, Integer.toString(httpPort));
        pb.environment().remove(ConfigLoader.ENV_LOG_LEVEL);
        Process node = pb.start();
        try {
            awaitReady(node, httpPort, log);
            assertEquals(200, send("GET", httpPort, "/health", null).statusCode());
            HttpResponse<String> put = send("PUT", httpPort, "/v1/kv/guide", "works");
            assertEquals(200, put.statusCode(), put.body());
            HttpResponse<String> get = send("GET", httpPort, "/v1/kv/guide", null);
            assertEquals(200, get.statusCode(), get.body());
            assertEquals("works", get.body());
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + metricsPort + "/metrics")).timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("omendb_memory_limit_bytes"), "metrics on the guide's prometheus_port");

            String text = Files.readString(log);
            assertTrue(text.contains("INFO") && text.contains("cluster: no [[cluster.members]]: a one-node cluster "
                    + "(node n1, Raft on 127.0.0.1:" + (httpPort + ConfigLoader.SINGLE_NODE_RAFT_PORT_OFFSET)), text);
            assertTrue(text.contains("WARN") && text.contains("performance.enable_simd: ignored: "), text);
            assertTrue(text.contains("http.host: read as http.bind_address"), text);

            node.destroy(); // SIGTERM
            assertTrue(node.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS), "no exit within " + STOP_WAIT_SECONDS + " s");
            assertEquals(0, node.exitValue(), Files.readString(log));
        } finally {
            node.destroyForcibly();
            node.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** {@code [performance] io_threads} sizes the HTTP API's event loops. */
    @Test
    void theGuidesIoThreadsSizeTheHttpEventLoops() throws Exception {
        OmenConfig c = ConfigLoader.load(GUIDE_EXAMPLE, Map.of());
        assertEquals(4, HttpServerOptions.from(c).ioThreads());
        assertEquals(1000, HttpServerOptions.from(c).maxConcurrentRequests(), "the guide's [http] name for it");
        assertEquals(ConfigLoader.HTTP_IO_THREADS_DEFAULT,
                HttpServerOptions.from(ConfigLoader.defaults()).ioThreads());
    }

    private void awaitReady(Process node, int httpPort, Path log) throws Exception {
        long deadline = System.nanoTime() + READY_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!node.isAlive()) {
                fail("omendb node exited with " + node.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (send("GET", httpPort, "/ready", null).statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // the HTTP server starts after the node
            }
            Thread.sleep(200);
        }
        fail("not ready within " + READY_WAIT + ":\n" + Files.readString(log));
    }

    private HttpResponse<String> send(String method, int port, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String replaceOnce(String text, String from, String to) {
        assertEquals(text.indexOf(from), text.lastIndexOf(from), "exactly one '" + from + "' in the guide's file");
        assertTrue(text.contains(from), "the guide's file has '" + from + "'");
        return text.replace(from, to);
    }

    private static int freePortWithFreeRaftPort() throws IOException {
        for (int i = 0; i < PORT_PICKS_MAX; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int raft = s.getLocalPort() + ConfigLoader.SINGLE_NODE_RAFT_PORT_OFFSET;
                if (raft <= 65_535 && isFree(raft)) {
                    return s.getLocalPort();
                }
            }
        }
        return fail("no free port p with p + " + ConfigLoader.SINGLE_NODE_RAFT_PORT_OFFSET + " free");
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
