package io.omendb.raft.meta;

import io.omendb.storage.Bytes;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a range replica's own log decides about its range: its id, its keys {@code [start, end)} (unsigned byte
 * order; {@code end == null}: unbounded) and its epoch. The part of a {@link RangeDescriptor} that a split or merge
 * changes by a command applied at one log index on every replica; peers and the Raft group are not in it (they
 * change by Raft configuration entries and the meta group's range table). Immutable.
 */
public record RangeBounds(long rangeId, byte[] start, byte[] end, long epoch) {
    public RangeBounds {
        Objects.requireNonNull(start, "start");
        if (end != null && Bytes.compare(start, end) >= 0) {
            throw new IllegalArgumentException("range " + rangeId + ": start must be < end");
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("range " + rangeId + ": epoch must be >= 0, got " + epoch);
        }
    }

    public boolean contains(byte[] key) {
        return Bytes.compare(key, start) >= 0 && (end == null || Bytes.compare(key, end) < 0);
    }

    /** Whether every key of {@code [from, to)} ({@code to == null}: unbounded) is inside these bounds. */
    public boolean containsInterval(byte[] from, byte[] to) {
        return Bytes.compare(from, start) >= 0
                && (end == null || (to != null && Bytes.compare(to, end) <= 0));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RangeBounds b && rangeId == b.rangeId && epoch == b.epoch && Arrays.equals(start, b.start)
                && Arrays.equals(end, b.end);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rangeId, epoch, Arrays.hashCode(start), Arrays.hashCode(end));
    }

    @Override
    public String toString() {
        return "range " + rangeId + " [" + Bytes.hex(start) + ", " + (end == null ? "+inf" : Bytes.hex(end))
                + ") epoch " + epoch;
    }
}
