package io.omendb.raft.client;

/** A failed client call; {@link #code()} says what kind of failure and what to do about it. */
public final class ClientException extends RuntimeException {
    private final ErrorCode code;

    public ClientException(ErrorCode code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public ClientException(ErrorCode code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
