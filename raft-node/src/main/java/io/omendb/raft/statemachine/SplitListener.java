package io.omendb.raft.statemachine;

import org.apache.ratis.protocol.RaftGroupId;

/**
 * Told when a replica has applied a split and staged the right half ({@link StagedSplit}): the node then starts the
 * new range's Raft group on this node (if it does not host it yet) and makes sure the meta group's range table
 * shows the split. Called on the parent group's apply thread, also when a split entry is replayed after a restart;
 * implementations must be idempotent and must not block (hand the work to a thread of their own).
 */
public interface SplitListener {
    void splitApplied(RaftGroupId parent, StagedSplit split);
}
