package io.omendb.raft.meta;

import io.omendb.storage.Bytes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The range table: ranges sorted by start key, covering the whole key space without gaps or overlaps (checked on
 * construction). Immutable; a new table is built when the meta group's contents change.
 */
public final class RangeTable {
    private final List<RangeDescriptor> ranges;

    public RangeTable(List<RangeDescriptor> descriptors) {
        List<RangeDescriptor> sorted = new ArrayList<>(descriptors);
        sorted.sort(Comparator.comparing(RangeDescriptor::start, Bytes::compare));
        checkCoversKeySpace(sorted);
        this.ranges = List.copyOf(sorted);
    }

    private static void checkCoversKeySpace(List<RangeDescriptor> sorted) {
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException("the range table is empty");
        }
        if (sorted.get(0).start().length != 0) {
            throw new IllegalArgumentException("the first range must start at the empty key: " + sorted.get(0));
        }
        for (int i = 1; i < sorted.size(); i++) {
            byte[] prevEnd = sorted.get(i - 1).end();
            if (prevEnd == null || Bytes.compare(prevEnd, sorted.get(i).start()) != 0) {
                throw new IllegalArgumentException("gap or overlap between " + sorted.get(i - 1) + " and " + sorted.get(i));
            }
        }
        if (sorted.get(sorted.size() - 1).end() != null) {
            throw new IllegalArgumentException("the last range must be unbounded: " + sorted.get(sorted.size() - 1));
        }
    }

    /** All ranges in key order. */
    public List<RangeDescriptor> ranges() {
        return ranges;
    }

    public RangeDescriptor rangeForKey(byte[] key) {
        int lo = 0;
        int hi = ranges.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (Bytes.compare(ranges.get(mid).start(), key) <= 0) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return ranges.get(lo);
    }

    public Optional<RangeDescriptor> byId(long rangeId) {
        return ranges.stream().filter(r -> r.rangeId() == rangeId).findFirst();
    }

    public RangeDescriptor byIdOrThrow(long rangeId) {
        return byId(rangeId).orElseThrow(() -> new IllegalArgumentException("no range with id " + rangeId));
    }
}
