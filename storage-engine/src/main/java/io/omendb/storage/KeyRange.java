package io.omendb.storage;

import java.util.Arrays;

/**
 * A half-open key range {@code [start, end)} in unsigned byte order: the keys an engine (or one of its segments)
 * owns. {@code end == null} is unbounded above; {@code start} is never null (the empty key is the smallest).
 *
 * <p>Immutable: the constructor copies nothing, so callers must not change the arrays they pass (the engine never
 * does). Equality compares contents, so two replicas that split at the same key produce equal ranges.
 */
public record KeyRange(byte[] start, byte[] end) {
    /** Every key. */
    public static final KeyRange ALL = new KeyRange(new byte[0], null);

    public KeyRange {
        if (start == null) {
            throw new IllegalArgumentException("a range's start must not be null (the empty key is the smallest)");
        }
        if (end != null && Bytes.compare(start, end) >= 0) {
            throw new IllegalArgumentException("empty key range [" + Bytes.hex(start) + ", " + Bytes.hex(end) + ")");
        }
    }

    public boolean contains(byte[] key) {
        return Bytes.compare(key, start) >= 0 && (end == null || Bytes.compare(key, end) < 0);
    }

    /** True when {@code key} can cut this range into two non-empty halves. */
    public boolean canSplitAt(byte[] key) {
        return Bytes.compare(key, start) > 0 && (end == null || Bytes.compare(key, end) < 0);
    }

    /** {@code [start, key)}; {@code key} must satisfy {@link #canSplitAt}. */
    public KeyRange leftOf(byte[] key) {
        return new KeyRange(start, key);
    }

    /** {@code [key, end)}; {@code key} must satisfy {@link #canSplitAt}. */
    public KeyRange rightOf(byte[] key) {
        return new KeyRange(key, end);
    }

    /** True when this range ends exactly where {@code right} starts. */
    public boolean isLeftNeighbourOf(KeyRange right) {
        return end != null && Arrays.equals(end, right.start);
    }

    /** The range covering this one and its right neighbour {@code right}. */
    public KeyRange unionWithRightNeighbour(KeyRange right) {
        if (!isLeftNeighbourOf(right)) {
            throw new IllegalArgumentException(this + " and " + right + " are not adjacent");
        }
        return new KeyRange(start, right.end);
    }

    /** The keys in both ranges, or {@code null} when none. */
    public KeyRange intersect(KeyRange other) {
        byte[] s = Bytes.compare(start, other.start) >= 0 ? start : other.start;
        byte[] e = end == null ? other.end
                : other.end == null ? end : Bytes.compare(end, other.end) <= 0 ? end : other.end;
        return e != null && Bytes.compare(s, e) >= 0 ? null : new KeyRange(s, e);
    }

    /** The smallest range covering both. */
    public KeyRange hull(KeyRange other) {
        byte[] s = Bytes.compare(start, other.start) <= 0 ? start : other.start;
        byte[] e = end == null || other.end == null ? null : Bytes.compare(end, other.end) >= 0 ? end : other.end;
        return new KeyRange(s, e);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyRange r && Arrays.equals(start, r.start) && Arrays.equals(end, r.end);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(start) + Arrays.hashCode(end);
    }

    @Override
    public String toString() {
        return "[" + Bytes.hex(start) + ", " + (end == null ? "+inf" : Bytes.hex(end)) + ")";
    }
}
