package io.omendb.router.backend;

import java.util.List;

/** A batch's keys fall in more than one range, so it cannot be atomic; nothing was written. */
public final class CrossRangeBatchException extends BackendException {
    private final List<Long> rangeIds;
    private final List<byte[]> boundaries;

    /**
     * @param rangeIds   the distinct ranges the batch touches, in key order
     * @param boundaries the range boundaries between the first and the last of them (split points, or initial ones),
     *                   so a user sees which boundary cuts a batch that used to work
     */
    public CrossRangeBatchException(List<Long> rangeIds, List<byte[]> boundaries) {
        super("batch spans ranges " + rangeIds + ", cut at " + boundaries.stream()
                .map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8)).toList()
                + " (see GET /admin/ranges); send one batch per range");
        this.rangeIds = List.copyOf(rangeIds);
        this.boundaries = List.copyOf(boundaries);
    }

    /** The range boundaries the batch crosses. */
    public List<byte[]> boundaries() {
        return boundaries;
    }

    /** The distinct ranges the batch touches, in key order. */
    public List<Long> rangeIds() {
        return rangeIds;
    }
}
