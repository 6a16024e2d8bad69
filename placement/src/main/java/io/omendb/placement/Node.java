package io.omendb.placement;

import java.util.Objects;

/**
 * A cluster member as recorded in the meta group.
 *
 * @param id          the node id (stable across restarts of one data dir)
 * @param zone        the failure domain ({@code [cluster] zone}); "" when none is configured
 * @param state       the recorded state: LIVE, DRAINING, DEAD or REMOVED (SUSPECT is derived, never recorded)
 * @param lastSeenMs  when the node was last heard from, on the driver's clock
 * @param incarnation the random id of the node's data dir: a node whose data is gone comes back with another one
 */
public record Node(String id, String zone, NodeState state, long lastSeenMs, long incarnation) {
    public Node {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(state, "state");
        if (state == NodeState.SUSPECT) {
            throw new IllegalArgumentException("SUSPECT is derived from lastSeenMs, never recorded: node " + id);
        }
    }
}
