package io.omendb.router.backend;

/**
 * The backend gave up before an answer. For writes the outcome is unknown: the write may still commit.
 */
public final class BackendTimeoutException extends BackendException {
    public BackendTimeoutException(String message) {
        super(message);
    }
}
