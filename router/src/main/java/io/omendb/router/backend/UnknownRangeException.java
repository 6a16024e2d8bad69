package io.omendb.router.backend;

/** A range id that is not in the range table. */
public final class UnknownRangeException extends BackendException {
    public UnknownRangeException(long rangeId) {
        super("no range with id " + rangeId + "; GET /admin/ranges lists them");
    }
}
