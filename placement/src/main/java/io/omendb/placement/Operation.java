package io.omendb.placement;

/** One step the placement driver asks of the cluster; each is a single change to the meta group or a Raft group. */
public sealed interface Operation {
    /** Start copying a new replica of {@code rangeId} onto {@code target} (a {@link Move}). */
    record AddReplica(long rangeId, Replica target, String sourceNodeId) implements Operation {
    }

    /** Remove a voter from {@code rangeId}'s group (never its leader: leadership is transferred first). */
    record RemoveReplica(long rangeId, Replica replica) implements Operation {
    }

    /** Hand {@code rangeId}'s leadership to the replica on {@code toNodeId}. */
    record TransferLeader(long rangeId, String fromNodeId, String toNodeId) implements Operation {
    }

    /** Record a node's new state in the meta group (declared DEAD, or REMOVED once drained). */
    record SetNodeState(String nodeId, long incarnation, NodeState state) implements Operation {
    }
}
