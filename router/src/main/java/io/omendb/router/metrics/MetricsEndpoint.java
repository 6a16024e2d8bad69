package io.omendb.router.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;

/**
 * The Prometheus scrape endpoint ({@code GET /metrics}, default port 9090), on its own port and threads so a
 * saturated API port never hides the metrics that explain it. {@link #close()} stops the server and its
 * threads.
 */
public final class MetricsEndpoint implements AutoCloseable {
    public static final int DEFAULT_PORT = 9090;

    private final HTTPServer server;

    private MetricsEndpoint(HTTPServer server) {
        this.server = server;
    }

    /** Starts serving {@code metrics} on {@code bindAddress:port} (port 0 picks a free one). */
    public static MetricsEndpoint start(String bindAddress, int port, RouterMetrics metrics) throws IOException {
        return new MetricsEndpoint(HTTPServer.builder().hostname(bindAddress).port(port)
                .registry(metrics.prometheusRegistry()).buildAndStart());
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
