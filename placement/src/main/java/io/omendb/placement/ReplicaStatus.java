package io.omendb.placement;

/** What one replica of a range is worth to the driver in one round (derived from its node and incarnation). */
enum ReplicaStatus {
    /** On a LIVE node, current incarnation: counts for quorum, stays. */
    GOOD,
    /** On a SUSPECT node: does not count for quorum, stays (not replaced before the node is dead). */
    SUSPECT,
    /** On a DRAINING node that is heard from: counts for quorum, to be replaced then removed. */
    LEAVING,
    /** On a dead, removed or unknown node, or of an old incarnation: does not count, to be replaced then removed. */
    LOST,
    /**
     * Lost, and its node is heard from again: declared dead and back with the same data, or back with new data (a
     * new incarnation). Removed at once: the first must not be caught up and counted again (a node declared dead
     * never resurrects its replicas), the second must not answer as the voter it forgot it was; and the node can
     * take a fresh replica of the range only once the old one is out.
     */
    STALE;

    boolean live() {
        return this == GOOD || this == LEAVING;
    }

    /** Stays in the range's target shape (the replicas a replacement is not needed for). */
    boolean kept() {
        return this == GOOD || this == SUSPECT;
    }
}
