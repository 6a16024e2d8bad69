package io.omendb.raft.client;

import io.omendb.raft.command.RangeRefusal;

import java.util.Optional;

/** A failed client call; {@link #code()} says what kind of failure and what to do about it. */
public final class ClientException extends RuntimeException {
    private final ErrorCode code;
    /** Set for {@link ErrorCode#RANGE_MOVED} only. */
    private final RangeRefusal refusalOrNull;

    public ClientException(ErrorCode code, String message) {
        this(code, message, null, null);
    }

    public ClientException(ErrorCode code, String message, Throwable cause) {
        this(code, message, cause, null);
    }

    private ClientException(ErrorCode code, String message, Throwable cause, RangeRefusal refusalOrNull) {
        super(code + ": " + message, cause);
        this.code = code;
        this.refusalOrNull = refusalOrNull;
    }

    /** RANGE_MOVED: a replica of {@code group} refused a request, with its descriptor. */
    static ClientException rangeMoved(String group, RangeRefusal refusal) {
        return new ClientException(ErrorCode.RANGE_MOVED, group + " refused the request as routed by an out-of-date "
                + "range table: " + refusal, null, refusal);
    }

    public ErrorCode code() {
        return code;
    }

    /** The replica's refusal and descriptor, for {@link ErrorCode#RANGE_MOVED}. */
    public Optional<RangeRefusal> rangeRefusal() {
        return Optional.ofNullable(refusalOrNull);
    }
}
