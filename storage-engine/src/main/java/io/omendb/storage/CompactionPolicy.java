package io.omendb.storage;

import java.util.List;

/**
 * Which segments a background compaction merges: size-tiered, with sizes measured in bytes and in records.
 *
 * <p>A segment's size in <em>flush units</em> is the larger of {@code dataBytes / tierBytesBase} (a memtable
 * freezes at that many bytes) and {@code records / tierRecordsBase} (or at that many entries), so a fresh flush
 * is about one unit whether it holds 16 MiB of 64 KiB values or 200 000 small records. Its tier is
 * {@code round(log_fanIn(units))} (units below 1 count as 1): tier {@code t} holds segments within a factor
 * {@code sqrt(fanIn)} of {@code fanIn^t} units, so {@code fanIn} merged flushes land one tier up even when
 * they are a little under their nominal size. Counting records only (as before) put every segment of large
 * values in tier 0, and every {@code fanIn}-th flush re-merged the whole range.
 *
 * <p>Rules, segments newest first: (1) the newest run of at least {@code fanIn} adjacent same-tier segments
 * whose newest members together hold at most {@code windowBytesMax} bytes (the run is cut there); (2) when
 * more than {@code segmentsMax} segments exist, the {@code fanIn} adjacent segments with the fewest bytes, if
 * they fit in {@code windowBytesMax}; (3) otherwise nothing. Because a window never exceeds
 * {@code windowBytesMax} (the largest segment compaction writes), a merge always yields one segment: fewer
 * segments after each merge, so repeated picking ends. Stateless and thread-safe.
 */
final class CompactionPolicy {
    /** What the policy needs of a segment. */
    interface Sized {
        long dataBytes();

        long records();
    }

    private final int fanIn;
    private final long tierBytesBase;
    private final long tierRecordsBase;
    private final long windowBytesMax;
    private final int segmentsMax;

    CompactionPolicy(int fanIn, long tierBytesBase, long tierRecordsBase, long windowBytesMax, int segmentsMax) {
        if (fanIn < 2 || tierBytesBase < 1 || tierRecordsBase < 1 || windowBytesMax < 1 || segmentsMax < fanIn) {
            throw new IllegalArgumentException("bad compaction policy limits");
        }
        this.fanIn = fanIn;
        this.tierBytesBase = tierBytesBase;
        this.tierRecordsBase = tierRecordsBase;
        this.windowBytesMax = windowBytesMax;
        this.segmentsMax = segmentsMax;
    }

    int tier(long dataBytes, long records) {
        double units = Math.max(1.0, Math.max((double) dataBytes / tierBytesBase, (double) records / tierRecordsBase));
        return (int) Math.round(Math.log(units) / Math.log(fanIn));
    }

    private int tier(Sized s) {
        return tier(s.dataBytes(), s.records());
    }

    /** The segments to merge (a view of adjacent ones in {@code newestFirst}), or null. */
    <S extends Sized> List<S> pick(List<S> newestFirst) {
        int start = 0;
        while (start < newestFirst.size()) {
            int tier = tier(newestFirst.get(start));
            int end = start + 1;
            while (end < newestFirst.size() && tier(newestFirst.get(end)) == tier) {
                end++;
            }
            int fit = start;
            long bytes = 0;
            while (fit < end && bytes + newestFirst.get(fit).dataBytes() <= windowBytesMax) {
                bytes += newestFirst.get(fit++).dataBytes();
            }
            if (fit - start >= fanIn) {
                return newestFirst.subList(start, fit);
            }
            start = end;
        }
        return newestFirst.size() > segmentsMax ? smallestAdjacent(newestFirst) : null;
    }

    private <S extends Sized> List<S> smallestAdjacent(List<S> newestFirst) {
        int best = -1;
        long bestBytes = Long.MAX_VALUE;
        for (int from = 0; from + fanIn <= newestFirst.size(); from++) {
            long bytes = 0;
            for (int i = from; i < from + fanIn; i++) {
                bytes += newestFirst.get(i).dataBytes();
            }
            if (bytes <= windowBytesMax && bytes < bestBytes) {
                best = from;
                bestBytes = bytes;
            }
        }
        return best < 0 ? null : newestFirst.subList(best, best + fanIn);
    }
}
