package io.omendb.router.http;

/** The dispatcher's deadline ({@code max_query_duration_ms}) passed before the backend answered. */
final class RequestDeadlineException extends RuntimeException {
    RequestDeadlineException(long deadlineMs) {
        super("no answer within " + deadlineMs + " ms (max_query_duration_ms; 2 minutes for split and merge)"
                + "; for a write the outcome is unknown, read the key before retrying", null, false, false);
    }
}
