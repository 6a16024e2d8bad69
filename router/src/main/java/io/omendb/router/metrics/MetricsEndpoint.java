package io.omendb.router.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpsConfigurator;
import java.io.IOException;
import javax.net.ssl.SSLContext;

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

    /** Starts serving {@code metrics} on {@code bindAddress:port} (port 0 picks a free one), plain and open. */
    public static MetricsEndpoint start(String bindAddress, int port, RouterMetrics metrics) throws IOException {
        return start(bindAddress, port, metrics, null, null);
    }

    /**
     * Starts serving {@code metrics} over HTTPS when {@code sslOrNull} is set and behind {@code authOrNull} (HTTP
     * Basic) when set.
     */
    public static MetricsEndpoint start(String bindAddress, int port, RouterMetrics metrics, SSLContext sslOrNull,
                                        Authenticator authOrNull) throws IOException {
        HTTPServer.Builder builder = HTTPServer.builder().hostname(bindAddress).port(port)
                .registry(metrics.prometheusRegistry());
        if (sslOrNull != null) {
            builder.httpsConfigurator(new HttpsConfigurator(sslOrNull));
        }
        if (authOrNull != null) {
            builder.authenticator(authOrNull);
        }
        return new MetricsEndpoint(builder.buildAndStart());
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
