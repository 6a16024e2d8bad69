package io.omendb.router.backend;

/**
 * A split or merge was refused and changed nothing: the request itself cannot be done ({@link Reason#BAD_REQUEST}, e.g.
 * a split key outside the range) or the range changed under it ({@link Reason#CONFLICT}: another split, merge or
 * membership change won; read {@code /admin/ranges} and retry).
 */
public final class RangeChangeRefusedException extends BackendException {
    public enum Reason { BAD_REQUEST, CONFLICT }

    private final Reason reason;
    private final String operation;

    /** A refused split. */
    public RangeChangeRefusedException(Reason reason, String message) {
        this(reason, message, "split");
    }

    /** @param operation what was refused, {@code split} or {@code merge} (the API's error code names it) */
    public RangeChangeRefusedException(Reason reason, String message, String operation) {
        super(message);
        this.reason = reason;
        this.operation = operation;
    }

    public Reason reason() {
        return reason;
    }

    public String operation() {
        return operation;
    }
}
