package io.omendb.placement;

import java.util.Objects;

/**
 * A replica move as recorded in the meta group: the target's replica is added (its snapshot copied, then promoted to
 * voter), then the replica it replaces, if any, is removed. Recording the source keeps the driver stateless: after
 * the target {@code joined}, the next round (on whichever node leads the meta group by then) removes exactly the
 * replica the move was for, rather than guessing which of the range's now too many replicas to drop, which could
 * undo the move.
 *
 * @param rangeId      the range
 * @param target       the new replica
 * @param sourceNodeId the node whose replica this move replaces, or null for a pure re-replication (which ends when
 *                     the target joins)
 * @param startedMs    when the driver started it
 * @param joined       the target is a voter; what is left is removing the source's replica
 */
public record Move(long rangeId, Replica target, String sourceNodeId, long startedMs, boolean joined) {
    public Move {
        Objects.requireNonNull(target, "target");
    }
}
