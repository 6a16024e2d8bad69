package io.omendb.storage;

import java.util.List;

/**
 * The key that cuts an engine's segments into two halves of equal bytes (keys + values), found without reading a
 * record: a selection over the segments' sorted positions driven by their learned indexes and cumulative byte
 * offsets.
 *
 * <p><b>How.</b> For a key {@code m}, the bytes below it are {@code sum over segments of bytesBefore(lowerBound(m))
 * - bytesBefore(from)}: {@link Segment#lowerBound} is one model prediction plus a search inside its error bound, and
 * {@link Segment#bytesBefore} reads the segment's cumulative offset columns (O(1); O(log) for values kept on disk).
 * Each segment keeps a window {@code [lo, hi)} of positions the answer may still be at; each step takes the middle
 * key of the widest window, measures the bytes below it and shrinks every window on the side that cannot hold the
 * answer, so the widest window halves at least every {@code S} steps ({@code S} segments). Cost:
 * {@code O(S^2 log n)} model lookups, no I/O, independent of the data's size beyond the logarithm.
 *
 * <p><b>Accuracy.</b> With no key in two segments (no overwrite or tombstone awaiting compaction) the answer is the
 * exact byte median, up to one record: the largest key with at most half the bytes below it, or the next key if
 * that one is closer. A key written in several segments is counted once per segment, so a range with many
 * uncompacted overwrites leans towards where they are; the memtable (at most 16 MiB of the newest writes) is not
 * counted. Pure function of its arguments.
 */
final class MedianEstimator {
    private MedianEstimator() {
    }

    /** The byte-median key of {@code segments}, a key that can split {@code range}, or {@code null} when none. */
    static byte[] estimate(List<Segment> segments, KeyRange range) {
        int n = segments.size();
        int[] lo = new int[n];
        int[] hi = new int[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            Segment s = segments.get(i);
            lo[i] = s.from();
            hi[i] = s.to();
            total += s.bytesBefore(s.to()) - s.bytesBefore(s.from());
        }
        long half = total / 2;
        byte[] atOrBelow = null; // largest key probed with at most half the bytes below it
        long atOrBelowBytes = 0;
        byte[] above = null; // smallest key probed with more than half below it
        long aboveBytes = 0;
        while (true) {
            int j = widest(lo, hi);
            if (j < 0) {
                break;
            }
            int mid = (lo[j] + hi[j]) >>> 1;
            byte[] m = segments.get(j).keyAt(mid);
            long below = bytesBelow(segments, m);
            if (below <= half) {
                atOrBelow = m;
                atOrBelowBytes = below;
                for (int i = 0; i < n; i++) {
                    lo[i] = Math.max(lo[i], segments.get(i).lowerBound(m));
                }
                lo[j] = mid + 1;
            } else {
                above = m;
                aboveBytes = below;
                for (int i = 0; i < n; i++) {
                    hi[i] = Math.min(hi[i], segments.get(i).lowerBound(m));
                }
                hi[j] = Math.min(hi[j], mid);
            }
        }
        boolean lowOk = atOrBelow != null && range.canSplitAt(atOrBelow);
        boolean highOk = above != null && range.canSplitAt(above);
        if (lowOk && highOk) {
            return half - atOrBelowBytes <= aboveBytes - half ? atOrBelow : above;
        }
        return lowOk ? atOrBelow : highOk ? above : null;
    }

    /** Bytes of the records with keys {@code < key}, over every segment's range. */
    static long bytesBelow(List<Segment> segments, byte[] key) {
        long sum = 0;
        for (Segment s : segments) {
            sum += s.bytesBefore(s.lowerBound(key)) - s.bytesBefore(s.from());
        }
        return sum;
    }

    private static int widest(int[] lo, int[] hi) {
        int best = -1;
        int width = 0;
        for (int i = 0; i < lo.length; i++) {
            if (hi[i] - lo[i] > width) {
                width = hi[i] - lo[i];
                best = i;
            }
        }
        return best;
    }
}
