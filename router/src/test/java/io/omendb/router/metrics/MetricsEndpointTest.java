package io.omendb.router.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.router.backend.StorageFootprint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Scrapes {@code /metrics} over HTTP and checks the operations guide's exact names and the histogram buckets. */
class MetricsEndpointTest {

    @Test
    void exposesTheGuideNamesWithHistogramBuckets() throws Exception {
        RouterMetrics metrics = new RouterMetrics(() -> new StorageFootprint(123_456, 7_890), 2_000_000_000L);
        metrics.registerActiveConnections(() -> 3);
        metrics.recordSearch(TimeUnit.MILLISECONDS.toNanos(2), false);
        metrics.recordSearch(TimeUnit.MILLISECONDS.toNanos(1500), true);
        metrics.recordInsert(TimeUnit.MILLISECONDS.toNanos(4), false);
        ExecutorService clientThreads = Executors.newSingleThreadExecutor();
        try (MetricsEndpoint endpoint = MetricsEndpoint.start("127.0.0.1", 0, metrics)) {
            HttpClient client = HttpClient.newBuilder().executor(clientThreads).build();
            HttpResponse<String> scrape = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scrape.statusCode());
            List<String> lines = scrape.body().lines().toList();
            for (String expected : List.of(
                    "# TYPE omendb_query_duration_seconds histogram",
                    "omendb_query_duration_seconds_bucket{le=\"0.0025\"} 1",
                    "omendb_query_duration_seconds_bucket{le=\"1.0\"} 1",
                    "omendb_query_duration_seconds_bucket{le=\"2.5\"} 2",
                    "omendb_query_duration_seconds_bucket{le=\"+Inf\"} 2",
                    "omendb_query_duration_seconds_count 2",
                    "# TYPE omendb_insert_duration_seconds histogram",
                    "omendb_insert_duration_seconds_bucket{le=\"0.005\"} 1",
                    "omendb_insert_duration_seconds_count 1",
                    "# TYPE omendb_searches_total counter",
                    "omendb_searches_total 2.0",
                    "omendb_search_failures_total 1.0",
                    "omendb_inserts_total 1.0",
                    "omendb_insert_failures_total 0.0",
                    "# TYPE omendb_memory_usage_bytes gauge",
                    "omendb_memory_limit_bytes 2.0E9",
                    "omendb_active_connections 3.0",
                    "omendb_wal_size_bytes 123456.0",
                    "omendb_index_size_bytes 7890.0")) {
                assertTrue(lines.contains(expected), () -> "missing line '" + expected + "' in:\n" + scrape.body());
            }
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("omendb_memory_usage_bytes ")));
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("jvm_memory_heap_used ")), "JVM metrics");
            assertFalse(scrape.body().contains("quantile="), "no summaries: histograms must have buckets");
        } finally {
            clientThreads.shutdownNow();
        }
    }
}
