package io.omendb.router.http;

import static io.omendb.router.http.ApiAssertions.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.router.backend.BackendTimeoutException;
import io.omendb.router.backend.BackendUnavailableException;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Backend failures map to their status and code, and the dispatcher counts them in the metrics. */
class BackendFailureApiTest {
    @RegisterExtension
    final TestServer t = TestServer.perTest();

    @Test
    void unavailableTimeoutAndBugsMapTo503And504And500() {
        t.backend.failWith(new BackendUnavailableException("range 2 has no leader"));
        assertError(t.send("PUT", "/v1/kv/a", "v"), 503, "unavailable");
        t.backend.failWith(new BackendTimeoutException("leader did not answer"));
        assertError(t.get("/v1/kv/a"), 504, "timeout");
        t.backend.failWith(new IllegalStateException("bug with a secret detail"));
        var internal = assertError(t.get("/v1/scan"), 500, "internal");
        assertTrue(!internal.get("message").asText().contains("secret"), "details stay in the log");
    }

    @Test
    void dispatcherCountsValidatedRequestsAndServerSideFailures() throws IOException {
        t.send("PUT", "/v1/kv/a", "v");
        t.get("/v1/kv/a");
        t.get("/v1/kv/missing");
        t.get("/v1/kv/%00?limit=1");
        t.send("POST", "/v1/batch", "{\"ops\": [{\"op\": \"delete\", \"key\": \"a\"}, {\"op\": \"delete\", \"key\": \"z\"}]}");
        t.backend.failWith(new BackendUnavailableException("down"));
        t.get("/v1/kv/a");
        List<String> lines = scrape();
        for (String expected : List.of("omendb_searches_total 3.0", "omendb_search_failures_total 1.0",
                "omendb_inserts_total 2.0", "omendb_insert_failures_total 1.0",
                "omendb_query_duration_seconds_count 3", "omendb_insert_duration_seconds_count 2")) {
            assertTrue(lines.contains(expected), () -> "missing '" + expected + "' in " + lines);
        }
        assertEquals(1, lines.stream().filter(l -> l.startsWith("omendb_active_connections ")).count());
    }

    private List<String> scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, t.metrics.prometheusRegistry().scrape());
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
