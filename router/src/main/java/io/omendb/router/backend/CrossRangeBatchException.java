package io.omendb.router.backend;

import java.util.List;

/** A batch's keys fall in more than one range, so it cannot be atomic; nothing was written. */
public final class CrossRangeBatchException extends BackendException {
    private final List<Long> rangeIds;

    public CrossRangeBatchException(List<Long> rangeIds) {
        super("batch spans ranges " + rangeIds + "; send one batch per range");
        this.rangeIds = List.copyOf(rangeIds);
    }

    /** The distinct ranges the batch touches, in key order. */
    public List<Long> rangeIds() {
        return rangeIds;
    }
}
