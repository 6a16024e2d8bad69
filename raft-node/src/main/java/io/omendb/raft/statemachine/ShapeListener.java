package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.storage.LoadedSegments;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * Told when a replica has applied a change of its range's shape. After a split has staged the right half
 * ({@link StagedSplit}) the node starts the new range's Raft group on this node (if it does not host it yet) and
 * makes sure the meta group's range table shows the split. Called on the group's apply thread, also when an entry is
 * replayed after a restart; implementations must be idempotent and must not block (hand the work to a thread of their
 * own). The offline replay of the backup tool refuses both kinds of change (its restored layout cannot follow them).
 */
public interface ShapeListener {
    /**
     * @param rightSegments the right half's segments as the parent replica's engine has them in memory, for the
     *                      replica that adopts the half ({@link SplitHandoff}); {@link LoadedSegments#NONE} when the
     *                      entry is replayed
     */
    void splitApplied(RaftGroupId parent, StagedSplit split, LoadedSegments rightSegments);

    /**
     * A merge step ({@link Command.PrepareMerge} on the source, {@link Command.CommitMerge} on the target) is about to
     * be applied at {@code index}. Nothing to do for a live node: the range table decides a merge and every node
     * reconciles with it. Throws to refuse the step.
     */
    default void mergeStep(RaftGroupId group, Command step, long index) {
    }
}
