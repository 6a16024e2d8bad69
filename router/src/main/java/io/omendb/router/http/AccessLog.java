package io.omendb.router.http;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * What the router records about each completed HTTP request: its request id (echoed as {@code X-Request-Id}) and,
 * when wanted, one line on the {@code omendb.access} logger with the method, the route's path pattern (never the
 * raw path: it holds keys), the status, the duration, the user and the request id as key-value pairs (real JSON
 * fields under {@code log_format = "json"}).
 *
 * <p><b>Which requests are logged.</b> {@link Mode#OFF}: none; {@link Mode#SLOW}: those that took at least
 * {@code slowRequestMs}; {@link Mode#ALL}: every one. Then a token bucket of {@code linesPerSecondMax} lines
 * (refilled continuously, holding at most one second's worth) bounds what a flood of requests can write; a line
 * the bucket refuses is counted in {@link #droppedLines()} ({@code omendb_access_log_dropped_total}), never
 * queued.
 *
 * <p><b>Request ids.</b> A client's {@code X-Request-Id} is kept when it is 1 to {@link #REQUEST_ID_CHARS_MAX}
 * characters of {@code [A-Za-z0-9._:+=/-]} (nothing that could forge a log field or a header); otherwise the router
 * makes one: 16 hex digits from the injected random source.
 *
 * <p><b>Threading.</b> Thread-safe: every event loop records here. The bucket is guarded by this object's lock (a
 * few arithmetic operations, taken only for lines that are wanted); the drop counter is a {@link LongAdder}.
 * Time and randomness are injected so tests drive the bucket with a fake clock.
 */
public final class AccessLog {
    public static final String LOGGER_NAME = "omendb.access";
    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    static final int REQUEST_ID_CHARS_MAX = 128;
    private static final Pattern VALID_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:+=/-]{1," + REQUEST_ID_CHARS_MAX
            + "}");
    private static final double NANOS_PER_SECOND = 1e9;

    /** Which completed requests get a line. */
    public enum Mode {
        OFF, SLOW, ALL
    }

    /**
     * One completed request.
     *
     * @param pathPattern the route's path with its key as {@code {key}} ({@code /v1/kv/{key}}), or
     *                    {@link #UNMATCHED} for requests no route took
     * @param userOrNull  the authenticated user; null when authentication is off or did not succeed
     */
    public record Entry(String method, String pathPattern, int status, long durationNanos, String userOrNull,
                        String requestId) {
        public static final String UNMATCHED = "(unmatched)";

        /** The duration in milliseconds, to the microsecond. */
        public double durationMs() {
            return Math.round(durationNanos / 1_000.0) / 1_000.0;
        }
    }

    /** Where wanted lines go. */
    public interface Sink {
        void write(Entry entry);
    }

    private final Mode mode;
    private final long slowNanos;
    private final int linesPerSecondMax;
    private final LongSupplier nanoClock;
    private final LongSupplier random;
    private final Sink sink;
    private final LongAdder dropped = new LongAdder();
    /** Lines the bucket may still write; at most {@link #linesPerSecondMax}. Guarded by {@code this}. */
    private double tokens;
    /** When {@link #tokens} was last refilled. Guarded by {@code this}. */
    private long refilledAtNanos;

    /**
     * @param slowRequestMs     the duration from which a request is slow ({@link Mode#SLOW})
     * @param linesPerSecondMax lines written per second at most; further lines are dropped and counted
     * @param nanoClock         monotonic time, as {@link System#nanoTime()}
     * @param random            the source of generated request ids
     */
    public AccessLog(Mode mode, long slowRequestMs, int linesPerSecondMax, LongSupplier nanoClock,
                     LongSupplier random, Sink sink) {
        if (slowRequestMs < 0 || linesPerSecondMax < 1) {
            throw new IllegalArgumentException("slowRequestMs must be >= 0 and linesPerSecondMax >= 1");
        }
        this.mode = mode;
        this.slowNanos = TimeUnit.MILLISECONDS.toNanos(slowRequestMs);
        this.linesPerSecondMax = linesPerSecondMax;
        this.nanoClock = nanoClock;
        this.random = random;
        this.sink = sink;
        this.tokens = linesPerSecondMax;
        this.refilledAtNanos = nanoClock.getAsLong();
    }

    /** The router's access log: lines to the {@link #LOGGER_NAME} logger, system time, random request ids. */
    public static AccessLog toLogger(Mode mode, long slowRequestMs, int linesPerSecondMax) {
        return new AccessLog(mode, slowRequestMs, linesPerSecondMax, System::nanoTime,
                () -> ThreadLocalRandom.current().nextLong(), loggerSink(LoggerFactory.getLogger(LOGGER_NAME)));
    }

    /** No lines; request ids are still kept or made and echoed. */
    public static AccessLog off() {
        return toLogger(Mode.OFF, 0, 1);
    }

    /**
     * Lines on {@code logger} at info: a short message ({@code PUT /v1/kv/{key} 200 1.234 ms}) and the fields as
     * key-value pairs: {@code method}, {@code path}, {@code status}, {@code duration_ms}, {@code user} (when
     * known) and {@code request_id}.
     */
    public static Sink loggerSink(Logger logger) {
        return e -> {
            LoggingEventBuilder line = logger.atInfo()
                    .addKeyValue("method", e.method())
                    .addKeyValue("path", e.pathPattern())
                    .addKeyValue("status", e.status())
                    .addKeyValue("duration_ms", e.durationMs());
            if (e.userOrNull() != null) {
                line = line.addKeyValue("user", e.userOrNull());
            }
            line.addKeyValue("request_id", e.requestId())
                    .log(e.method() + " " + e.pathPattern() + " " + e.status() + " " + e.durationMs() + " ms");
        };
    }

    /** The client's request id when it is acceptable (see the class note), else a new one. */
    public String requestId(String fromClientOrNull) {
        if (fromClientOrNull != null && VALID_REQUEST_ID.matcher(fromClientOrNull).matches()) {
            return fromClientOrNull;
        }
        return HexFormat.of().toHexDigits(random.getAsLong());
    }

    /** Writes {@code entry}'s line if the mode wants it and the rate allows it; counts it as dropped otherwise. */
    public void record(Entry entry) {
        if (!wanted(entry)) {
            return;
        }
        if (takeToken()) {
            sink.write(entry);
        } else {
            dropped.increment();
        }
    }

    private boolean wanted(Entry entry) {
        return switch (mode) {
            case OFF -> false;
            case SLOW -> entry.durationNanos() >= slowNanos;
            case ALL -> true;
        };
    }

    private synchronized boolean takeToken() {
        long now = nanoClock.getAsLong();
        tokens = Math.min(linesPerSecondMax, tokens + (now - refilledAtNanos) * linesPerSecondMax / NANOS_PER_SECOND);
        refilledAtNanos = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }

    /** Lines the rate limit refused since start. */
    public long droppedLines() {
        return dropped.sum();
    }
}
