package io.omendb.raft.command;

import io.omendb.raft.range.RangeBounds;

import java.util.Objects;

/**
 * Why a replica refused a request routed to it, with the descriptor it has: the sender's range table is out of date
 * (a split, merge or membership change it has not seen), so it refreshes the table and sends the request again to the
 * range that now holds the key. A refused write changed nothing.
 */
public record RangeRefusal(Reason reason, RangeBounds current) {
    public enum Reason {
        /** The request was routed by an epoch older than the replica's. Stable wire numbers: add only. */
        STALE_EPOCH,
        /** A key (or part of an interval) of the request is outside the replica's bounds. */
        KEY_OUTSIDE_RANGE,
        /** The request was routed to another range id than this replica's. */
        WRONG_RANGE
    }

    public RangeRefusal {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(current, "current");
    }

    @Override
    public String toString() {
        return reason + " (replica holds " + current + ")";
    }
}
