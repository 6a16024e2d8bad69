package io.omendb.placement;

import java.util.Objects;

/**
 * One member of a range's Raft group: the node and the incarnation of the node's data dir the replica was created
 * on. A replica whose incarnation is not the node's current one lives on data that is gone: it is lost, whatever
 * the node's state.
 */
public record Replica(String nodeId, long incarnation) {
    public Replica {
        Objects.requireNonNull(nodeId, "nodeId");
    }
}
