package io.omendb.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import io.omendb.raft.LocalCluster;
import io.omendb.raft.client.ClientOptions;
import io.omendb.router.cluster.DiskFootprint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request sent the moment the router is up, before it has read the range table (the node was started an instant
 * earlier and has not even elected its leaders), waits for the table and is served: 200, not 503 NOT_READY. The
 * deadline is generous so that only a router that refuses instead of waiting fails, however slow the machine.
 */
class RouterStartupTest {
    private static final long DEADLINE_MS = 120_000;

    @TempDir
    Path tmp;

    @Test
    void aRequestAtStartWaitsForTheRangeTableAndIsServed() throws Exception {
        OmenConfig template = ConfigLoader.parse("""
                [security]
                auth_enabled = false
                [monitoring]
                metrics_enabled = false
                [limits]
                max_query_duration_ms = %d
                [cluster]
                initial_split_points = ["m"]
                """.formatted(DEADLINE_MS), Map.of());
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (LocalCluster cluster = LocalCluster.start(tmp.resolve("data"), 1, 1, template);
             RouterService router = RouterService.start(cluster.configOf("n1"),
                     ClientOptions.from(cluster.configOf("n1")).withLocalServer(cluster.node("n1").localServer()),
                     DiskFootprint.none())) {
            URI uri = URI.create("http://127.0.0.1:" + router.httpPort() + "/v1/kv/first");
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofMillis(2 * DEADLINE_MS)).PUT(HttpRequest.BodyPublishers.ofString("at start"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, put.statusCode(), put.body());
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("at start", get.body());
        }
    }
}
