package io.omendb.router.http;

import io.netty.handler.ssl.SslContext;
import java.util.function.BooleanSupplier;

/**
 * What protects the HTTP server beyond {@link HttpServerOptions}' size and rate limits: who may call
 * ({@link RequestGate}), TLS, how long a client may take to send one request, and whether the process has memory
 * for more writes.
 *
 * @param gate                  authentication and authorization of every request
 * @param sslContextOrNull      server TLS context (HTTPS), or null for plain HTTP
 * @param requestReadTimeoutMs  a request must arrive whole (line, headers, body) within this many milliseconds of
 *                              its first byte, else 408 request_timeout and the connection closes (slowloris)
 * @param writesAdmitted        false while the process is over {@code memory_limit_mb}: writes get 503
 *                              memory_limit, reads keep working
 */
public record ServerGuards(RequestGate gate, SslContext sslContextOrNull, long requestReadTimeoutMs,
                           BooleanSupplier writesAdmitted) {
    public static final long REQUEST_READ_TIMEOUT_MS_DEFAULT = 10_000;

    public ServerGuards {
        if (gate == null || writesAdmitted == null) {
            throw new IllegalArgumentException("gate and writesAdmitted must be set");
        }
        if (requestReadTimeoutMs < 1) {
            throw new IllegalArgumentException("requestReadTimeoutMs must be >= 1");
        }
    }

    /** No authentication, plain HTTP, the default read timeout, no memory guard (tests of the API itself). */
    public static ServerGuards open() {
        return new ServerGuards(RequestGate.OPEN, null, REQUEST_READ_TIMEOUT_MS_DEFAULT, () -> true);
    }

    public ServerGuards withGate(RequestGate g) {
        return new ServerGuards(g, sslContextOrNull, requestReadTimeoutMs, writesAdmitted);
    }

    public ServerGuards withSsl(SslContext ssl) {
        return new ServerGuards(gate, ssl, requestReadTimeoutMs, writesAdmitted);
    }

    public ServerGuards withRequestReadTimeoutMs(long ms) {
        return new ServerGuards(gate, sslContextOrNull, ms, writesAdmitted);
    }

    public ServerGuards withWritesAdmitted(BooleanSupplier admitted) {
        return new ServerGuards(gate, sslContextOrNull, requestReadTimeoutMs, admitted);
    }
}
