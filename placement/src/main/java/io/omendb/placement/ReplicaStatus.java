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
     * Lost, and its node is heard from again after being declared dead, with the same data (incarnation). Not
     * counted, and replaced like a lost one (a node declared dead is given nothing and its replicas are re-created
     * elsewhere), but removed only once the range has its replication factor without it, like a lost one: until then
     * it is an intact voter that Raft catches up, and removing it would only take a replica from a range that has no
     * other place for it (three nodes, replication factor 3: every range left at two replicas for good, and the next
     * single failure stops it — the chaos suite's WIPE_RESTART after a node was declared dead did).
     */
    STALE,
    /**
     * On a node heard from with another incarnation than the replica's: its data directory is new, so the replica is
     * one it forgot. Removed at once: it must not answer as the voter it forgot it was, and the node can take a fresh
     * replica of the range only once the old one is out.
     */
    FORGOTTEN;

    boolean live() {
        return this == GOOD || this == LEAVING;
    }

    /** Stays in the range's target shape (the replicas a replacement is not needed for). */
    boolean kept() {
        return this == GOOD || this == SUSPECT;
    }
}
