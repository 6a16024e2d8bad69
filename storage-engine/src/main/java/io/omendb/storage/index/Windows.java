package io.omendb.storage.index;

/** Bounded searches over a window of a sorted unsigned {@code long[]}. */
final class Windows {
    private Windows() {
    }

    /** First position in {@code [from, to)} whose key is {@code >= key} (unsigned), or {@code to}. */
    static int lowerBound(long[] keys, int from, int to, long key) {
        int lo = from;
        int hi = to;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(keys[mid], key) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Converts the unsigned distance {@code key - base} to a double, monotonically. */
    static double delta(long key, long base) {
        long d = key - base;
        return d >= 0 ? (double) d : ((double) (d >>> 1)) * 2.0;
    }
}
