package io.omendb.router.backend;

/** Base of every failure a {@link KvBackend} reports on purpose; the HTTP layer maps each subclass to a status. */
public abstract class BackendException extends RuntimeException {
    protected BackendException(String message) {
        super(message);
    }

    protected BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
