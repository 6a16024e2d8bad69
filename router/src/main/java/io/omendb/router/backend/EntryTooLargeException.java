package io.omendb.router.backend;

/**
 * A write whose encoded command exceeds what one Raft log entry of a range may hold (a batch of many large
 * values). Refused before it is sent, so nothing was written; the caller should split it.
 */
public final class EntryTooLargeException extends BackendException {
    public EntryTooLargeException(String message) {
        super(message);
    }
}
