package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.raft.range.RangeBounds;

/**
 * The range descriptor one replica has recorded: decided by its own log, so every replica has the same one at the
 * same index. Set from the snapshot the replica starts from ({@link #reset}) and by {@link Command.SetDescriptor}
 * entries as they are applied — including entries replayed after a restart, which the engine
 * may already hold: Ratis replays the log from the snapshot's index, so the descriptor is rebuilt entry by entry and
 * each replayed write is checked against the descriptor of its own index.
 *
 * <p>It also holds the replica's <b>merge fence</b>: the id of the merge whose copied records this replica (as a
 * merge's target) accepts ({@link Command.MergeData}; 0: none yet, or chunks logged before fences; negative: an
 * ordered id, {@link Command.MergeData#idOfClaim}; positive: an older build's random id), set by that merge's first
 * chunk, replaced only by the first chunk of a merge claimed later, and kept in snapshots with the descriptor, so that
 * every replica decides each chunk the same. A restore clears it (the restored meta group orders merges anew).
 *
 * <p>Threading: written only by the group's apply thread (or by a single offline replay); read by query threads
 * (volatile).
 */
public final class ReplicaDescriptor {
    private volatile RangeBounds current;
    private volatile long mergeFence;

    /** No descriptor recorded. */
    public ReplicaDescriptor() {
    }

    /** The recorded descriptor, or null: the replica accepts any key ({@link EpochCheck}). */
    public RangeBounds current() {
        return current;
    }

    /**
     * Starts over from the descriptor and merge fence of the snapshot the replica opened (null and 0: that snapshot
     * had none).
     */
    public void reset(RangeBounds fromSnapshotOrNull, long mergeFenceFromSnapshot) {
        current = fromSnapshotOrNull;
        mergeFence = mergeFenceFromSnapshot;
    }

    /** The id of the merge whose chunks this replica accepts (0: none set). */
    public long mergeFence() {
        return mergeFence;
    }

    /** A merge's first chunk applied at this index: only that merge's chunks are accepted from now on. */
    public void fenceMerge(long mergeId) {
        mergeFence = mergeId;
    }

    /** Replaces the descriptor: a split or merge applied at this index changed the range's bounds and epoch. */
    public void replace(RangeBounds d) {
        current = d;
    }

    /** Records {@code d} if none is recorded yet; the first descriptor entry of a log wins. */
    public boolean recordIfAbsent(RangeBounds d) {
        if (current != null) {
            return false;
        }
        current = d;
        return true;
    }
}
