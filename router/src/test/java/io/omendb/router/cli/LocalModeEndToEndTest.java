package io.omendb.router.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omendb.raft.LocalCluster;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code omendb local --nodes 3 --ranges 4} as a separate process (real Ratis, real disk), driven over HTTP:
 * key-value, CAS, a scan across ranges with cursor paging, single- and cross-range batches, bad input that must
 * leave the store unchanged, admin views and metrics; then SIGTERM must stop it with exit code 0 and a restart
 * on the same data dir must still hold the data. Split points for 4 ranges are "g", "n", "t". Authentication is
 * on: the first start prints the generated admin password once, and every call but the probes uses it.
 */
class LocalModeEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration READY_WAIT = Duration.ofSeconds(60);
    private static final long STOP_WAIT_SECONDS = 30;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private int httpPort;
    private String authorization;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void localClusterServesTheApiStopsCleanlyAndKeepsDataAcrossRestart() throws Exception {
        int[] ports = LocalCluster.freePorts(2);
        httpPort = ports[0];
        int metricsPort = ports[1];
        Path dataDir = tmp.resolve("data");

        Process first = startLocal(dataDir, metricsPort, tmp.resolve("first.log"));
        try {
            awaitReady(first, tmp.resolve("first.log"));
            authorization = "Basic " + Base64.getEncoder().encodeToString(("admin:" + generatedPassword(
                    tmp.resolve("first.log"))).getBytes(StandardCharsets.UTF_8));
            exerciseApi(metricsPort);
            stopAndExpectCleanExit(first);
        } finally {
            first.destroyForcibly();
        }

        Process second = startLocal(dataDir, metricsPort, tmp.resolve("second.log"));
        try {
            awaitReady(second, tmp.resolve("second.log"));
            assertFalse(Files.readString(tmp.resolve("second.log")).contains("password"),
                    "the password is printed on the first start only");
            assertEquals("v-zebra", body(send("GET", "/v1/kv/zebra", null)));
            assertEquals(404, send("GET", "/v1/kv/apple", null).statusCode(), "deleted before the restart");
            assertEquals(List.of("b1", "b2", "h1", "o1", "u1", "zebra"), scanAll(2));
            stopAndExpectCleanExit(second);
        } finally {
            second.destroyForcibly();
        }
    }

    private void exerciseApi(int metricsPort) throws Exception {
        // without credentials: 401 with a challenge (the probes stay open, see awaitReady)
        HttpResponse<byte[]> anonymous = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/v1/kv/apple")).timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(401, anonymous.statusCode(), body(anonymous));
        assertTrue(anonymous.headers().firstValue("www-authenticate").isPresent());

        // put / get / delete
        HttpResponse<byte[]> put = send("PUT", "/v1/kv/apple", "v-apple");
        assertEquals(200, put.statusCode(), body(put));
        assertTrue(json(put).get("revision").asLong() > 0);
        assertEquals("v-apple", body(send("GET", "/v1/kv/apple", null)));
        assertEquals(200, send("PUT", "/v1/kv/zebra", "v-zebra").statusCode());
        JsonNode deleted = json(send("DELETE", "/v1/kv/apple", null));
        assertTrue(deleted.get("deleted").asBoolean());
        assertEquals(404, send("GET", "/v1/kv/apple", null).statusCode());
        assertFalse(json(send("DELETE", "/v1/kv/apple", null)).get("deleted").asBoolean());

        // compare-and-set: success, then failure reporting the current value
        JsonNode won = json(send("POST", "/v1/cas/cas-key", "{\"expected\":null,\"value\":\"one\"}"));
        assertTrue(won.get("succeeded").asBoolean(), won.toString());
        JsonNode lost = json(send("POST", "/v1/cas/cas-key", "{\"expected\":\"nope\",\"value\":\"two\"}"));
        assertFalse(lost.get("succeeded").asBoolean(), lost.toString());
        assertEquals("one", lost.get("current").asText());
        assertEquals(200, send("DELETE", "/v1/kv/cas-key", null).statusCode());

        // batches: one range (range 1: keys < "g") commits; across ranges is refused naming the ranges
        HttpResponse<byte[]> batch = send("POST", "/v1/batch",
                "{\"ops\":[{\"op\":\"put\",\"key\":\"b1\",\"value\":\"x\"},{\"op\":\"put\",\"key\":\"b2\",\"value\":\"y\"}]}");
        assertEquals(200, batch.statusCode(), body(batch));
        HttpResponse<byte[]> cross = send("POST", "/v1/batch",
                "{\"ops\":[{\"op\":\"put\",\"key\":\"c1\",\"value\":\"x\"},{\"op\":\"put\",\"key\":\"x1\",\"value\":\"y\"}]}");
        assertEquals(409, cross.statusCode(), body(cross));
        assertEquals("cross_range_batch", json(cross).get("error").asText());
        assertEquals(404, send("GET", "/v1/kv/c1", null).statusCode(), "a refused batch writes nothing");

        // one key in each of the other ranges, then a scan across all of them, 2 per page
        for (String k : List.of("h1", "o1", "u1")) {
            assertEquals(200, send("PUT", "/v1/kv/" + k, "v-" + k).statusCode());
        }
        assertEquals(List.of("b1", "b2", "h1", "o1", "u1", "zebra"), scanAll(2));

        // bad input: 400 and an unchanged store
        assertEquals(400, send("POST", "/v1/batch", "{\"ops\":[{\"op\":\"put\",\"key\":\"bad1\",\"value\":\"x\"},"
                + "{\"op\":\"frobnicate\",\"key\":\"bad2\"}]}").statusCode());
        assertEquals(400, send("POST", "/v1/cas/bad3", "{not json").statusCode());
        assertEquals(400, send("GET", "/v1/scan?limit=0", null).statusCode());
        assertEquals(400, send("PUT", "/v1/kv/bad4?encoding=base64", "!!not base64!!").statusCode());
        for (String k : List.of("bad1", "bad2", "bad3", "bad4")) {
            assertEquals(404, send("GET", "/v1/kv/" + k, null).statusCode(), k);
        }
        assertEquals(List.of("b1", "b2", "h1", "o1", "u1", "zebra"), scanAll(1000));

        // admin views
        JsonNode ranges = json(send("GET", "/admin/ranges", null)).get("ranges");
        assertEquals(4, ranges.size(), ranges.toString());
        assertEquals(3, ranges.get(0).get("peers").size());
        assertEquals(4, json(send("GET", "/admin/index-stats", null)).get("ranges").size());

        // metrics
        HttpResponse<byte[]> metrics = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, metrics.statusCode());
        assertTrue(body(metrics).contains("omendb_inserts_total"), "metrics lack omendb_inserts_total");
    }

    /** Every key of the store, following cursors page by page. */
    private List<String> scanAll(int limit) throws Exception {
        List<String> keys = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 100; pages++) {
            String q = "/v1/scan?limit=" + limit + (cursor == null ? ""
                    : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            HttpResponse<byte[]> r = send("GET", q, null);
            assertEquals(200, r.statusCode(), body(r));
            JsonNode page = json(r);
            page.get("items").forEach(item -> keys.add(item.get("key").asText()));
            if (page.get("cursor").isNull()) {
                return keys;
            }
            cursor = page.get("cursor").asText();
        }
        return fail("scan did not finish within 100 pages: " + keys);
    }

    private Process startLocal(Path dataDir, int metricsPort, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                OmenDbCli.class.getName(), "local", "--nodes", "3", "--ranges", "4", "--data-dir", dataDir.toString(),
                "--http-port", Integer.toString(httpPort), "--metrics-port", Integer.toString(metricsPort))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("OMENDB_AUTH_DISABLED");
        return pb.start();
    }

    private static String generatedPassword(Path log) throws IOException {
        Matcher m = Pattern.compile("created user 'admin' .* with password: (\\S+)").matcher(Files.readString(log));
        assertTrue(m.find(), "the first start prints the admin password");
        return m.group(1);
    }

    private void awaitReady(Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + READY_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                fail("omendb local exited with " + p.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (send("GET", "/ready", null).statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // the HTTP server starts after the nodes
            }
            Thread.sleep(200);
        }
        fail("not ready within " + READY_WAIT + ":\n" + Files.readString(log));
    }

    private static void stopAndExpectCleanExit(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS), "no exit within " + STOP_WAIT_SECONDS + " s");
        assertEquals(0, p.exitValue());
    }

    private HttpResponse<byte[]> send(String method, String pathAndQuery, String bodyOrNull) throws Exception {
        HttpRequest.BodyPublisher publisher = bodyOrNull == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(bodyOrNull);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + pathAndQuery))
                .method(method, publisher).timeout(Duration.ofSeconds(15));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String body(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private static JsonNode json(HttpResponse<byte[]> r) throws IOException {
        return JSON.readTree(r.body());
    }
}
