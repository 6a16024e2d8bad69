package io.omendb.router.backend;

/**
 * The operation cannot be served now (no reachable leader, memory limit reached, shutting down). Retrying later
 * may succeed. For writes, the write did not commit.
 */
public final class BackendUnavailableException extends BackendException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
