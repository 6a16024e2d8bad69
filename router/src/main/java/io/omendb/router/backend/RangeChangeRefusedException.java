package io.omendb.router.backend;

/**
 * A split or merge was refused and changed nothing: the request itself cannot be done ({@link Reason#BAD_REQUEST}, e.g.
 * a split key outside the range) or the range changed under it ({@link Reason#CONFLICT}: another split, merge or
 * membership change won; read {@code /admin/ranges} and retry).
 */
public final class RangeChangeRefusedException extends BackendException {
    public enum Reason { BAD_REQUEST, CONFLICT }

    private final Reason reason;

    public RangeChangeRefusedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
