package io.omendb.router.http;

import io.omendb.config.OmenConfig;

/**
 * Limits and addresses of the HTTP API server ({@code [http]} and {@code [limits]} of {@code omendb.toml}).
 * Every limit carries its unit in its name; the constructor rejects values that cannot work together.
 *
 * @param bindAddress           interface to listen on ("0.0.0.0" for all)
 * @param port                  TCP port; 0 picks a free one (tests)
 * @param ioThreads             Netty event-loop threads (sized for the 2-core target machine)
 * @param maxRequestBodyBytes   largest request body accepted; larger gets 413 body_too_large
 * @param maxKeyBytes           largest key after decoding; larger gets 413 key_too_large
 * @param maxValueBytes         largest value after decoding; larger gets 413 value_too_large
 * @param maxInsertBatchSize    most ops in one POST /v1/batch; more gets 413 batch_too_large
 * @param maxQueryDurationMs    deadline of one request from dispatch to answer; then 504 timeout
 * @param maxConnections        open TCP connections; further connections are closed on accept
 * @param maxConcurrentRequests requests being served at once; further ones get 429 with Retry-After
 * @param idleTimeoutMs         a connection with no traffic this long is closed
 */
public record HttpServerOptions(String bindAddress, int port, int ioThreads, int maxRequestBodyBytes,
                                int maxKeyBytes, int maxValueBytes, int maxInsertBatchSize,
                                long maxQueryDurationMs, int maxConnections, int maxConcurrentRequests,
                                long idleTimeoutMs) {

    public static final int DEFAULT_PORT = 3000;
    /** Bodies up to this size are always accepted, whatever {@code max_value_size_bytes} is (a batch of small values). */
    static final int REQUEST_BODY_BYTES_MIN = 8 << 20;
    /** An idle connection is kept at least this long, and always longer than a request may take. */
    static final long IDLE_TIMEOUT_MS_MIN = 120_000;

    public HttpServerOptions {
        require(bindAddress != null && !bindAddress.isEmpty(), "bindAddress must be set");
        require(port >= 0 && port <= 65_535, "port must be in [0, 65535]");
        require(ioThreads >= 1, "ioThreads must be >= 1");
        require(maxKeyBytes >= 1, "maxKeyBytes must be >= 1");
        require(maxValueBytes >= 0, "maxValueBytes must be >= 0");
        require(maxRequestBodyBytes >= maxValueBytes, "maxRequestBodyBytes must be >= maxValueBytes");
        require(maxInsertBatchSize >= 1, "maxInsertBatchSize must be >= 1");
        require(maxQueryDurationMs >= 1, "maxQueryDurationMs must be >= 1");
        require(maxConnections >= 1, "maxConnections must be >= 1");
        require(maxConcurrentRequests >= 1, "maxConcurrentRequests must be >= 1");
        require(idleTimeoutMs > maxQueryDurationMs, "idleTimeoutMs must exceed maxQueryDurationMs");
    }

    /**
     * {@code [http]}, {@code [limits]} and {@code [performance]} ({@code max_concurrent_requests}, {@code io_threads})
     * of {@code omendb.toml} mapped onto these options.
     */
    public static HttpServerOptions from(OmenConfig c) {
        OmenConfig.Limits l = c.limits();
        return new HttpServerOptions(c.http().bindAddress(), c.http().port(), c.performance().ioThreads(),
                Math.max(REQUEST_BODY_BYTES_MIN, 2 * l.maxValueSizeBytes()), l.maxKeySizeBytes(),
                l.maxValueSizeBytes(), l.maxInsertBatchSize(), l.maxQueryDurationMs(), c.http().maxConnections(),
                c.performance().maxConcurrentRequests(), Math.max(IDLE_TIMEOUT_MS_MIN, 2 * l.maxQueryDurationMs()));
    }

    /** A copy listening on {@code bindAddress}:{@code port} instead (tests: loopback and a free port). */
    public HttpServerOptions at(String bindAddress, int port) {
        return new HttpServerOptions(bindAddress, port, ioThreads, maxRequestBodyBytes, maxKeyBytes, maxValueBytes,
                maxInsertBatchSize, maxQueryDurationMs, maxConnections, maxConcurrentRequests, idleTimeoutMs);
    }

    /** The operations guide's defaults: port 3000, 4 KiB keys, 1 MiB values, 8 MiB bodies, 30 s deadline. */
    public static HttpServerOptions defaults() {
        return new HttpServerOptions("0.0.0.0", DEFAULT_PORT, 2, 8 << 20, 4096, 1 << 20, 1000, 30_000, 1024,
                256, 120_000);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
