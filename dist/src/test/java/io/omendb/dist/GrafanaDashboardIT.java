package io.omendb.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omendb.raft.LocalCluster;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No panel of the Grafana dashboard (docker/grafana/dashboards/omendb.json) is silently empty: every query of every
 * panel is evaluated through Prometheus' HTTP API ({@code /api/v1/query}) against a real Prometheus (Debian's
 * {@code prometheus}, the compose file's job name, scraping every second) scraping a real cluster (three
 * {@code bin/omendb node} processes of the tarball on loopback), after reads, writes and one refused request went
 * through every node and Prometheus has scraped them. Each query must answer at least one series with a finite
 * value, so a wrong metric or label name, or a latency quantile over a histogram that saw no traffic, fails the
 * test naming the panel and its query.
 */
class GrafanaDashboardIT {
    private static final int NODES = 3;
    private static final String JOB = "omendb";
    private static final Duration READY_WAIT = Duration.ofSeconds(120);
    private static final Duration SCRAPE_WAIT = Duration.ofSeconds(90);
    private static final int KEYS_PER_NODE = 8;
    /** One more byte than the default {@code [limits] max_key_size_bytes}: refused with 413 key_too_large. */
    private static final int REFUSED_KEY_BYTES = 4097;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final Http http = new Http();

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void everyPanelQueryAnswersFromARealCluster() throws Exception {
        GrafanaDashboard dashboard = GrafanaDashboard.read(GrafanaDashboard.file());
        Path home = DistPaths.unpackTarball(Files.createDirectories(tmp.resolve("home")));
        LoopbackCluster cluster = LoopbackCluster.write(tmp, "grafana", NODES);
        List<ServerProcess> running = new ArrayList<>();
        try {
            for (int i = 0; i < NODES; i++) {
                running.add(cluster.startNode(home, i, "first"));
            }
            ServerProcess[] nodes = running.toArray(ServerProcess[]::new);
            for (int i = 0; i < NODES; i++) {
                http.await200(cluster.base(i) + "/ready", READY_WAIT, nodes);
            }
            int port = LocalCluster.freePorts(1)[0];
            String api = "http://127.0.0.1:" + port + "/api/v1/";
            ServerProcess prometheus = ServerProcess.start("prometheus", List.of("prometheus",
                    "--config.file=" + prometheusConfig(cluster), "--storage.tsdb.path=" + tmp.resolve("tsdb"),
                    "--web.listen-address=127.0.0.1:" + port), Map.of(), tmp.resolve("prometheus.log"));
            running.add(prometheus);
            ServerProcess[] all = running.toArray(ServerProcess[]::new);
            Http.await(() -> count(api, "up{job=\"" + JOB + "\"} == 1") == NODES, SCRAPE_WAIT,
                    "prometheus did not scrape " + NODES + " nodes", all);

            sendTraffic(cluster);
            // Prometheus has scraped the traffic of every router: rates over it are positive, quantiles finite. The
            // refusal counter of a reason appears with its first refusal: rate() needs a second sample of it.
            Http.await(() -> count(api, "increase(omendb_inserts_total{job=\"" + JOB + "\"}[1m]) > 0") == NODES
                            && count(api, "increase(omendb_searches_total{job=\"" + JOB + "\"}[1m]) > 0") == NODES
                            && count(api, "count_over_time(omendb_refusals_total{job=\"" + JOB + "\"}[1m]) >= 2") > 0,
                    SCRAPE_WAIT, "prometheus did not scrape the traffic", all);

            List<String> empty = new ArrayList<>();
            int queries = 0;
            for (GrafanaDashboard.Panel panel : dashboard.panels()) {
                for (GrafanaDashboard.Query q : panel.queries()) {
                    queries++;
                    JsonNode result = query(api, q.expr());
                    if (!hasFiniteValue(result)) {
                        empty.add("panel '" + panel.title() + "' query " + q.refId() + ": " + q.expr() + " -> " + result);
                    }
                }
            }
            assertTrue(queries >= dashboard.panels().size(), "panels without queries");
            assertEquals(List.of(), empty, "dashboard queries with no data from a running cluster");
            for (ServerProcess p : running) {
                p.stop();
            }
        } finally {
            running.forEach(ServerProcess::close);
        }
    }

    /** Scrapes every node's metrics endpoint each second under the compose file's job name. */
    private Path prometheusConfig(LoopbackCluster cluster) throws IOException {
        StringBuilder targets = new StringBuilder();
        for (int i = 0; i < cluster.size(); i++) {
            targets.append(i == 0 ? "" : ", ").append("\"127.0.0.1:").append(cluster.metricsPort(i)).append('"');
        }
        Path config = tmp.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: %s
                    metrics_path: /metrics
                    static_configs:
                      - targets: [%s]
                """.formatted(JOB, targets));
        return config;
    }

    /** Writes and reads through every node, on keys of every range, and one request refused by a limit. */
    private void sendTraffic(LoopbackCluster cluster) throws Exception {
        String[] rangeStarts = {"a", "h", "o", "u"};
        for (int n = 0; n < cluster.size(); n++) {
            for (int k = 0; k < KEYS_PER_NODE; k++) {
                String url = cluster.base(n) + "/v1/kv/" + rangeStarts[k % rangeStarts.length] + "-grafana-" + n + "-" + k;
                HttpResponse<String> put = http.send("PUT", url, "value-" + k);
                assertEquals(200, put.statusCode(), put.body());
                HttpResponse<String> get = http.send("GET", url, null);
                assertEquals(200, get.statusCode(), get.body());
            }
        }
        HttpResponse<String> refused = http.send("PUT", cluster.base(0) + "/v1/kv/" + "k".repeat(REFUSED_KEY_BYTES), "v");
        assertEquals(413, refused.statusCode(), refused.body());
    }

    /** The result vector of an instant query; fails on a query Prometheus refuses (syntax, unknown function). */
    private JsonNode query(String api, String promql) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send("GET", api + "query?query=" + URLEncoder.encode(promql,
                StandardCharsets.UTF_8), null);
        JsonNode body = JSON.readTree(r.body());
        assertEquals("success", body.path("status").asText(), promql + ": " + r.body());
        return body.get("data").get("result");
    }

    private int count(String api, String promql) throws InterruptedException {
        try {
            return query(api, promql).size();
        } catch (IOException notYet) {
            return -1;
        }
    }

    /** At least one series whose value is a number (not NaN, not infinite). */
    private static boolean hasFiniteValue(JsonNode result) {
        for (JsonNode series : result) {
            String v = series.get("value").get(1).asText();
            if (!v.contains("Inf") && !v.equals("NaN")) {
                return true;
            }
        }
        return false;
    }
}
