package io.omendb.raft;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * Per range id, the epoch a node's background role last saw it at and since when (ms on the role's clock): how
 * {@link AutoMerger} tells a range kept its shape for the cool-down and {@link MergeFollowUp} that a source stayed
 * frozen too long. Seeing another epoch starts the time again; {@link #restart} starts it again whatever epoch comes
 * next. Not thread-safe: each role keeps its own, on its own thread.
 */
final class EpochsSeen {
    /** An epoch no range has: what {@link #restart} records. */
    private static final long NO_EPOCH = Long.MIN_VALUE;

    /** Per range id: {epoch, since (ms)}. */
    private final Map<Long, long[]> seen = new HashMap<>();

    /** Records that {@code rangeId} is at {@code epoch} at {@code nowMs}; returns since when it has been. */
    long observe(long rangeId, long epoch, long nowMs) {
        return seen.compute(rangeId, (id, s) -> s != null && s[0] == epoch ? s : new long[]{epoch, nowMs})[1];
    }

    /** Whether {@code rangeId} was last seen at {@code epoch}, and has been for {@code forMs} or more at {@code nowMs}. */
    boolean heldFor(long rangeId, long epoch, long nowMs, long forMs) {
        long[] s = seen.get(rangeId);
        return s != null && s[0] == epoch && nowMs - s[1] >= forMs;
    }

    /** Starts {@code rangeId}'s time again at {@code nowMs}, whatever epoch it is seen at next. */
    void restart(long rangeId, long nowMs) {
        seen.put(rangeId, new long[]{NO_EPOCH, nowMs});
    }

    /** Forgets every range {@code keep} refuses. */
    void retainOnly(LongPredicate keep) {
        seen.keySet().removeIf(id -> !keep.test(id));
    }
}
