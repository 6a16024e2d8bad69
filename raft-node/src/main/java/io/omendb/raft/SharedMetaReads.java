package io.omendb.raft;

import io.omendb.raft.client.MetaView;

import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The range table and the merge tombstones as a node's background roles read them from the meta group, one
 * linearizable read shared by the roles of one pass rather than one (or two) per role: the split and merge
 * reconciler ({@link SplitFollowUp}, {@link MergeFollowUp}) and the automatic merger ({@link AutoMerger}) each looked
 * at the table every 10 s, the reconciler read the tombstones too.
 *
 * <p><b>Freshness.</b> {@link #fresh} always starts a read: the reconciler needs one that follows everything done
 * before its pass started (a replica removal changes the table before it deletes the replica, so a node never takes
 * its own just-deleted replica for one it missed). {@link #recent} returns the latest read when it started less than
 * {@code reuseMs} ago, else starts one: for the automatic merger, whose every decision is checked again against the
 * meta group by the merge itself ({@code RangeMerger} re-reads the table and commits by compare-and-set). A failed read
 * is never reused.
 *
 * <p><b>Threading.</b> Thread-safe (the roles run on their own threads); the clock is injected.
 */
final class SharedMetaReads {
    private final Supplier<CompletableFuture<MetaView>> read;
    private final LongSupplier clockMs;
    private final long reuseMs;
    private CompletableFuture<MetaView> latest;
    private long latestStartedMs;

    /**
     * @param read    one linearizable read of the table and the tombstones
     * @param clockMs the clock reads are aged by
     * @param reuseMs how old a read {@link #recent} may return
     */
    SharedMetaReads(Supplier<CompletableFuture<MetaView>> read, LongSupplier clockMs, long reuseMs) {
        this.read = read;
        this.clockMs = clockMs;
        this.reuseMs = reuseMs;
    }

    /** A read started now; later {@link #recent} callers may share it. */
    synchronized CompletableFuture<MetaView> fresh() {
        latestStartedMs = clockMs.getAsLong();
        latest = read.get();
        return latest.copy();
    }

    /** The latest read if it started less than {@code reuseMs} ago and has not failed, else a fresh one. */
    synchronized CompletableFuture<MetaView> recent() {
        if (latest != null && !latest.isCompletedExceptionally() && clockMs.getAsLong() - latestStartedMs < reuseMs) {
            return latest.copy();
        }
        return fresh();
    }
}
