package io.omendb.placement;

/**
 * The placement driver's settings ({@code [placement]} once wired).
 *
 * @param replicationFactor          voters per range
 * @param nodeSuspectAfterMs         unheard from this long, a node's replicas stop counting as live for quorums
 * @param nodeDeadAfterMs            unheard from this long, a node is declared dead and its replicas re-created
 * @param maxMovesPerNode            moves in flight touching one node (as target, source or snapshot sender)
 * @param maxMovesTotal              moves in flight in the cluster; also the removals started in one round
 * @param maxLeaderTransfersPerRound leadership transfers started in one round
 */
public record PlacementLimits(int replicationFactor, long nodeSuspectAfterMs, long nodeDeadAfterMs,
                              int maxMovesPerNode, int maxMovesTotal, int maxLeaderTransfersPerRound) {
    public static final int REPLICATION_FACTOR_DEFAULT = 3;
    public static final long NODE_SUSPECT_AFTER_MS_DEFAULT = 10_000;
    public static final long NODE_DEAD_AFTER_MS_DEFAULT = 300_000;
    public static final int MAX_MOVES_PER_NODE_DEFAULT = 4;
    public static final int MAX_MOVES_TOTAL_DEFAULT = 64;
    public static final int MAX_LEADER_TRANSFERS_PER_ROUND_DEFAULT = 64;

    public PlacementLimits {
        if (replicationFactor < 1 || nodeSuspectAfterMs <= 0 || nodeDeadAfterMs < nodeSuspectAfterMs
                || maxMovesPerNode < 1 || maxMovesTotal < 1 || maxLeaderTransfersPerRound < 0) {
            throw new IllegalArgumentException("bad placement limits: " + replicationFactor + " replicas, suspect"
                    + " after " + nodeSuspectAfterMs + " ms, dead after " + nodeDeadAfterMs + " ms, " + maxMovesPerNode
                    + " moves per node, " + maxMovesTotal + " moves, " + maxLeaderTransfersPerRound + " transfers");
        }
    }

    public static PlacementLimits defaults() {
        return new PlacementLimits(REPLICATION_FACTOR_DEFAULT, NODE_SUSPECT_AFTER_MS_DEFAULT,
                NODE_DEAD_AFTER_MS_DEFAULT, MAX_MOVES_PER_NODE_DEFAULT, MAX_MOVES_TOTAL_DEFAULT,
                MAX_LEADER_TRANSFERS_PER_ROUND_DEFAULT);
    }

    /** Voters needed to commit in a group of {@code members}. */
    public static int quorum(int members) {
        return members / 2 + 1;
    }
}
