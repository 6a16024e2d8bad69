package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.command.Route;
import io.omendb.raft.range.RangeBounds;
import io.omendb.storage.Bytes;
import io.omendb.storage.KeyRange;
import io.omendb.storage.KeyValue;
import io.omendb.storage.StorageEngine;
import io.omendb.storage.WriteBatch;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.protocol.TermIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Applies the three merge commands on one replica. A merge moves a small range (the source) into its left neighbour
 * (the target) by copying its records through the target's own Raft log, and the meta group's range table decides
 * whether it happened (docs/ARCHITECTURE.md, "Range merges"):
 * <ol>
 *   <li>{@link Command.PrepareMerge} on the source: its epoch rises above the table's, so it takes no more requests
 *       routed by the table (it is frozen);</li>
 *   <li>{@link Command.MergeData} chunks on the target: the source's records, written into the target's engine beyond
 *       its descriptor's end (the engine is widened; the descriptor is not, so nobody reads them yet);</li>
 *   <li>the table's compare-and-set replaces both ranges by the union (or, if anything changed, the merge is
 *       abandoned and the source's table epoch is raised to its frozen epoch, which unfreezes it);</li>
 *   <li>{@link Command.CommitMerge} on the target: its descriptor becomes the union.</li>
 * </ol>
 * Every replica applies each entry at the same index to the same prefix, so every target replica holds the same union.
 *
 * <p><b>Replay.</b> Descriptor changes and the merge fence are decided again from what each entry sees (rebuilt entry
 * by entry from the snapshot's, as for splits); engine writes already in the engine are skipped. A crash between widening the engine and writing
 * the first chunk leaves a wider engine range with nothing new in it, which the replayed chunk widens again
 * (idempotent) and fills.
 *
 * <p>Single writer: called on the group's apply thread only (or by a single offline replay, which refuses
 * {@link Command.PrepareMerge} and {@link Command.CommitMerge} through its {@link ShapeListener}).
 */
final class RangeMerges {
    private static final Logger LOG = LoggerFactory.getLogger(RangeMerges.class);
    /** Keys read per page while clearing what an abandoned earlier merge left beyond the target's end. */
    static final int CLEAR_PAGE_KEYS = 1_024;

    private RangeMerges() {
    }

    static CommandResult prepare(ReplicaDescriptor descriptor, Route route, Command.PrepareMerge prepare, TermIndex at,
                                 RaftGroupId group, ShapeListener listener) {
        long index = at.getIndex();
        listener.mergeStep(group, prepare, index);
        RangeBounds current = descriptor.current();
        if (current == null) {
            LOG.warn("{}: merge preparation at entry {} ignored: this range's log records no descriptor yet", group,
                    index);
            return new CommandResult.AlreadyApplied(index);
        }
        RangeRefusal refusal = EpochCheck.route(current, route);
        if (refusal != null) {
            return new CommandResult.Refused(index, refusal);
        }
        long frozen = Math.max(route == null ? 0 : route.epoch(), current.epoch()) + 1;
        descriptor.replace(new RangeBounds(current.rangeId(), current.start(), current.end(), frozen));
        LOG.info("{}: frozen at entry {} (epoch {}) to merge into range {}", group, index, frozen,
                prepare.intoRangeId());
        return new CommandResult.Written(index);
    }

    static CommandResult data(StorageEngine engine, ReplicaDescriptor descriptor, Route route, Command.MergeData data,
                              long index, RaftGroupId group) throws IOException {
        RangeBounds current = descriptor.current();
        if (current == null) {
            return new CommandResult.AlreadyApplied(index);
        }
        RangeRefusal refusal = EpochCheck.route(current, route);
        if (refusal == null && !(current.end() != null && Arrays.equals(current.end(), data.sourceStart())
                && allIn(data) && admits(descriptor.mergeFence(), data))) {
            refusal = new RangeRefusal(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, current);
        }
        if (refusal != null) {
            if (data.mergeId() != descriptor.mergeFence()) {
                LOG.info("{}: merge chunk at entry {} refused: it is of merge {}, the replica takes merge {}'s", group,
                        index, data.mergeId(), descriptor.mergeFence());
            }
            return new CommandResult.Refused(index, refusal);
        }
        if (data.first() && data.mergeId() < 0 && data.mergeId() == descriptor.mergeFence()) {
            return new CommandResult.AlreadyApplied(index); // a retry of the fenced merge's first chunk: no new clear
        }
        if (data.first()) {
            descriptor.fenceMerge(data.mergeId()); // also when replayed into an engine that holds the entry already
        }
        if (index <= engine.appliedIndex()) {
            return new CommandResult.AlreadyApplied(index);
        }
        WriteBatch batch = new WriteBatch();
        if (data.first()) {
            engine.widenTo(data.sourceEnd());
            clear(engine, data.sourceStart(), data.sourceEnd(), batch);
        }
        data.records().forEach(kv -> batch.put(kv.key(), kv.value()));
        data.deletes().forEach(batch::delete);
        engine.apply(batch, index);
        return new CommandResult.Written(index);
    }

    /**
     * Whether a target fenced to merge {@code fence} takes chunk {@code data}: a chunk of the fenced merge, or the
     * first chunk of a merge claimed after it. Not the first chunk of any other merge: one claimed earlier was
     * abandoned (claims on a target follow each other) and its first chunk, late, would clear the copy of the merge
     * under way — also after that merge's last chunk, when no catch-up would repair it before its commit. A repeated
     * first chunk of the fenced merge (a retry whose first attempt was applied too) is taken but clears nothing again
     * ({@link #data} answers it as already applied, so its proposer goes on). A first chunk of an older build (random
     * id) is taken unless an ordered merge fenced the target: the older build took every first chunk, and no fence was
     * ordered in the logs it wrote, so a replay decides them as it did.
     */
    private static boolean admits(long fence, Command.MergeData data) {
        if (!data.first()) {
            return data.mergeId() == fence;
        }
        if (fence >= 0) {
            return true; // none, or an older build's random id: unordered, any merge may follow it
        }
        return data.mergeId() <= fence; // ordered ids (Command.MergeData#idOfClaim): a later claim has a smaller id
    }

    private static boolean allIn(Command.MergeData data) {
        KeyRange source = new KeyRange(data.sourceStart(), data.sourceEnd());
        return data.records().stream().allMatch(kv -> source.contains(kv.key()))
                && data.deletes().stream().allMatch(source::contains);
    }

    /** Deletes, in {@code batch}, every key the engine holds in {@code [start, end)}: left by an abandoned merge. */
    private static void clear(StorageEngine engine, byte[] start, byte[] end, WriteBatch batch) {
        byte[] from = start;
        while (true) {
            List<KeyValue> page = engine.scan(from, end, CLEAR_PAGE_KEYS);
            page.forEach(kv -> batch.delete(kv.key()));
            if (page.size() < CLEAR_PAGE_KEYS) {
                return;
            }
            from = Bytes.successor(page.get(page.size() - 1).key());
        }
    }

    static CommandResult commit(StorageEngine engine, ReplicaDescriptor descriptor, Route route,
                                Command.CommitMerge commit, TermIndex at, RaftGroupId group, ShapeListener listener) {
        long index = at.getIndex();
        listener.mergeStep(group, commit, index);
        RangeBounds current = descriptor.current();
        RangeBounds merged = commit.merged();
        if (current == null || current.end() == null || current.rangeId() != merged.rangeId()
                || !Arrays.equals(current.start(), merged.start()) || !Arrays.equals(current.end(), commit.sourceStart())
                || merged.epoch() <= current.epoch()) {
            return new CommandResult.AlreadyApplied(index); // merged already, or the range changed meanwhile
        }
        RangeRefusal refusal = EpochCheck.route(current, route);
        if (refusal != null) {
            return new CommandResult.Refused(index, refusal);
        }
        KeyRange engineRange = engine.range();
        if (merged.end() != null ? engineRange.end() != null && Bytes.compare(engineRange.end(), merged.end()) < 0
                : engineRange.end() != null) {
            throw new IllegalStateException(group + ": merge commit at entry " + index + " to " + merged
                    + " but the engine holds only " + engineRange + "; its records never reached this replica");
        }
        descriptor.replace(merged);
        LOG.info("{}: merged at entry {}: now {}", group, index, merged);
        return new CommandResult.Written(index);
    }
}
