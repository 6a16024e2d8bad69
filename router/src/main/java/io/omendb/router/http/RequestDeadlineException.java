package io.omendb.router.http;

/** The dispatcher's deadline ({@code max_query_duration_ms}) passed before the backend answered. */
final class RequestDeadlineException extends RuntimeException {
    RequestDeadlineException(long maxQueryDurationMs) {
        super("no answer within max_query_duration_ms=" + maxQueryDurationMs
                + "; for a write the outcome is unknown, read the key before retrying", null, false, false);
    }
}
