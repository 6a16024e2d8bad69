package io.omendb.router.backend;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the HTTP layer needs from the cluster: the only door from the router's HTTP code to the range groups.
 *
 * <p><b>Guarantees the implementation gives.</b> Writes ({@link #put}, {@link #delete}, {@link #compareAndSet},
 * {@link #batch}) complete only after a quorum commit of the key's range group. {@link ReadConsistency#LINEARIZABLE}
 * reads observe every write acknowledged before the read started. Revisions are the commit positions of the
 * key's range group: they increase strictly with every committed write of that range (not across ranges).
 *
 * <p><b>Failure contract.</b> A missing key is a result ({@code Optional.empty()}, {@code deleted=false}), never
 * an exception. Failures complete the future exceptionally with a {@link BackendException} subclass:
 * {@link CrossRangeBatchException}, {@link UnknownRangeException}, {@link UnknownNodeException},
 * {@link EntryTooLargeException}, {@link BackendUnavailableException}, {@link BackendTimeoutException}. Anything else is treated by callers as an internal error. Arguments are
 * already validated by the caller (non-empty keys within size limits, {@code 1 <= limit <= scanLimitMax()}), so a
 * refused argument is a caller's bug; implementations may assert them.
 *
 * <p><b>Threading.</b> Every method returns without blocking (callers run on Netty event loops); futures may
 * complete on any thread. Callers stop waiting at their own deadline ({@code max_query_duration_ms}); an
 * implementation should bound its own retries by the same deadline rather than run on unobserved.
 *
 * <p>Byte arrays passed in and returned are owned by the receiver: neither side mutates them afterwards.
 */
public interface KvBackend {

    /** Stores {@code value} under {@code key}; completes with the commit's revision. */
    CompletableFuture<WriteResult> put(byte[] key, byte[] value);

    /** The value and the revision that last wrote it, or empty when the key is absent. */
    CompletableFuture<Optional<Versioned>> get(byte[] key, ReadConsistency consistency);

    /** Removes {@code key}; {@code deleted} says whether it existed. Always commits (so it has a revision). */
    CompletableFuture<DeleteResult> delete(byte[] key);

    /**
     * Atomically: if the current value equals {@code expectedOrNull} (null: the key must be absent), set it to
     * {@code newValueOrNull} (null: delete the key). The result carries the value current after the operation.
     */
    CompletableFuture<CasResult> compareAndSet(byte[] key, byte[] expectedOrNull, byte[] newValueOrNull);

    /**
     * Keys in {@code [startInclusive, endExclusiveOrNull)} in unsigned byte order, at most {@code limit} of them.
     * The page may be shorter than {@code limit} even when more keys follow (for example, an implementation may
     * stop at the end of a range); {@link ScanPage#nextStartKey()} is non-null exactly when the scan is not known
     * to be finished, and is then strictly greater than {@code startInclusive}.
     */
    CompletableFuture<ScanPage> scan(byte[] startInclusive, byte[] endExclusiveOrNull, int limit,
                                     ReadConsistency consistency);

    /** The largest {@code limit} {@link #scan} accepts ({@code [limits] max_scan_limit} of the cluster client). */
    int scanLimitMax();

    /**
     * Applies every op atomically, in order, when all keys fall in one range; otherwise fails with
     * {@link CrossRangeBatchException} and changes nothing. {@code ops} is non-empty.
     */
    CompletableFuture<WriteResult> batch(List<BatchOp> ops);

    /** Every range of the range table, in key order. */
    CompletableFuture<List<RangeInfo>> ranges();

    /** Ids of ranges that currently have no reachable leader; empty when the cluster can serve every key. */
    CompletableFuture<List<Long>> rangesWithoutLeader();

    /** Learned-index statistics per range (from the leader's replica), in key order. */
    CompletableFuture<List<RangeIndexStats>> indexStats();

    /**
     * Schedules {@code work} on every replica of range {@code rangeIdOrNull} (null: every range) and completes
     * once scheduled, not once done, with the ids of the ranges it was scheduled on. An unknown id fails with
     * {@link UnknownRangeException}.
     */
    CompletableFuture<List<Long>> scheduleIndexWork(IndexWork work, Long rangeIdOrNull);

    /**
     * Asks range {@code rangeId}'s group to hand leadership to its replica on {@code nodeId}; completes once that
     * replica leads. Fails with {@link UnknownRangeException} or {@link UnknownNodeException} (no such replica).
     */
    CompletableFuture<Void> transferLeader(long rangeId, String nodeId);

    /** Every member of the cluster, in configuration order, with its state and the replicas and leaders it has. */
    CompletableFuture<List<NodeInfo>> nodes();

    /**
     * Starts draining node {@code nodeId}: its replicas and leaders move to the other members, then it is recorded
     * removed. Completes with its state once the drain is recorded ("draining", or "removed" when already done).
     * Fails with {@link UnknownNodeException} (no such member) or {@link DecommissionRefusedException}.
     */
    CompletableFuture<String> decommission(String nodeId);

    /**
     * Splits range {@code rangeId} at {@code keyOrNull} (null: the range's byte median) and completes once the range
     * table shows both halves. Fails with {@link UnknownRangeException}, or {@link RangeChangeRefusedException} (a key
     * that does not cut the range in two, or a concurrent change of the range).
     */
    CompletableFuture<SplitOutcome> split(long rangeId, byte[] keyOrNull);

    /**
     * How long {@link #split} and {@link #merge} may take (the HTTP layer answers them within it too, not within
     * {@code max_query_duration_ms}): a merge copies a range's records, a split waits for the new range's leader.
     */
    long RESHAPE_DEADLINE_MS = 120_000;

    /**
     * Merges range {@code rangeId} with its right neighbour (the union keeps {@code rangeId}) and completes once the
     * range table shows the union. Fails with {@link UnknownRangeException}, or {@link RangeChangeRefusedException}
     * (operation {@code merge}: the last range, a neighbour too large to copy, or a concurrent change of either range;
     * nothing changed).
     */
    CompletableFuture<MergeOutcome> merge(long rangeId);

    /** Current on-disk sizes for metrics; must be cheap and non-blocking (called on every scrape). */
    StorageFootprint footprint();
}
