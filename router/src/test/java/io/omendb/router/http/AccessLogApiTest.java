package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.router.metrics.RouterMetrics;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The access log as the HTTP server feeds it: one entry per answer with the route's path pattern (never the key),
 * the request id echoed in {@code X-Request-Id}, and lines beyond the rate limit counted in
 * {@code omendb_access_log_dropped_total}. The log's clock is frozen, so the rate limit is deterministic.
 */
class AccessLogApiTest {
    private static final long GENERATED = 0x0123_4567_89ab_cdefL;

    private final InMemoryKvBackend backend = new InMemoryKvBackend();
    private final RouterMetrics metrics = new RouterMetrics(backend::footprint, 1L << 30);
    private final List<AccessLog.Entry> entries = new CopyOnWriteArrayList<>();
    private final ExecutorService clientThreads = Executors.newSingleThreadExecutor();
    private final HttpClient client = HttpClient.newBuilder().executor(clientThreads)
            .version(HttpClient.Version.HTTP_1_1).build();
    private HttpApiServer server;

    private void start(AccessLog.Mode mode, int linesPerSecondMax) throws InterruptedException {
        AccessLog log = new AccessLog(mode, 0, linesPerSecondMax, () -> 0L, () -> GENERATED, entries::add);
        server = HttpApiServer.start(TestServer.options(64, 5_000, 1 << 20, 64), ServerGuards.open(), backend, null,
                metrics, System::nanoTime, log);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        clientThreads.shutdownNow();
    }

    private HttpResponse<String> send(String method, String path, String requestIdOrNull) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, method.equals("PUT") ? HttpRequest.BodyPublishers.ofString("v")
                        : HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(30));
        if (requestIdOrNull != null) {
            b.header(AccessLog.REQUEST_ID_HEADER, requestIdOrNull);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String requestId(HttpResponse<?> r) {
        return r.headers().firstValue(AccessLog.REQUEST_ID_HEADER).orElseThrow();
    }

    @Test
    void everyAnswerIsLoggedWithItsPathPatternAndEchoesItsRequestId() throws Exception {
        start(AccessLog.Mode.ALL, 1_000);
        HttpResponse<String> put = send("PUT", "/v1/kv/secret%20key", "client-7:a");
        assertEquals(200, put.statusCode());
        assertEquals("client-7:a", requestId(put));

        HttpResponse<String> missing = send("GET", "/v1/kv/secret-too", null);
        assertEquals(404, missing.statusCode());
        assertEquals("0123456789abcdef", requestId(missing), "no id from the client: the router made one");

        HttpResponse<String> unmatched = send("GET", "/no/such/path", "bad id with spaces");
        assertEquals(404, unmatched.statusCode());
        assertEquals("0123456789abcdef", requestId(unmatched), "an unsafe id is replaced");

        assertEquals(List.of("PUT /v1/kv/{key} 200 client-7:a", "GET /v1/kv/{key} 404 0123456789abcdef",
                "GET " + AccessLog.Entry.UNMATCHED + " 404 0123456789abcdef"), entries.stream()
                .map(e -> e.method() + " " + e.pathPattern() + " " + e.status() + " " + e.requestId()).toList());
        for (AccessLog.Entry e : entries) {
            assertFalse(e.toString().contains("secret"), "never the raw key: " + e);
            assertEquals(null, e.userOrNull(), "authentication is off");
            assertTrue(e.durationNanos() >= 0);
        }
    }

    @Test
    void linesBeyondTheRateAreDroppedAndCounted() throws Exception {
        start(AccessLog.Mode.ALL, 2);
        for (int i = 0; i < 5; i++) {
            assertEquals(200, send("GET", "/health", "probe-" + i).statusCode());
        }
        assertEquals(List.of("probe-0", "probe-1"), entries.stream().map(AccessLog.Entry::requestId).toList());
        assertEquals(3.0, droppedTotal());
    }

    @Test
    void offLogsNothingButStillEchoesRequestIds() throws Exception {
        start(AccessLog.Mode.OFF, 1);
        assertEquals("x-1", requestId(send("GET", "/health", "x-1")));
        assertEquals(List.of(), entries);
        assertEquals(0.0, droppedTotal());
    }

    private double droppedTotal() throws IOException {
        return metrics.prometheusRegistry().scrape().stream()
                .filter(s -> s.getMetadata().getName().equals("omendb_access_log_dropped"))
                .map(s -> ((CounterSnapshot) s).getDataPoints().get(0).getValue()).findFirst().orElseThrow();
    }
}
