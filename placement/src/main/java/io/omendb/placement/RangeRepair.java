package io.omendb.placement;

import java.util.Arrays;

/**
 * Rules (a), (b), (e) and (f) of {@link PlacementDriver}, range by range, the ranges with fewest live replicas first.
 *
 * <p>Each range gets at most one replica operation per round, the first that applies of:
 * <ol>
 *   <li>a range without a quorum of live replicas is left alone (no configuration change of it can commit);</li>
 *   <li>a FORGOTTEN replica (its node is back with new data) is removed at once;</li>
 *   <li>the replica a move replaces is removed once the move's target has joined;</li>
 *   <li>a LOST or STALE replica (its node gone, or back after being declared dead) is removed once the range has its
 *       replication factor without it, or more voters than that;</li>
 *   <li>a range with fewer kept replicas than its replication factor gets a new one (in a zone it does not use yet
 *       while it spans fewer zones than it should, on the node with least surplus), before anything it replaces is
 *       removed;</li>
 *   <li>a LEAVING replica (draining node) is removed, leadership first transferred off it;</li>
 *   <li>a range over its replication factor for another reason loses its worst-placed replica;</li>
 *   <li>a range spanning fewer zones than it could moves a replica out of a doubled zone.</li>
 * </ol>
 * A removal is made only if the range keeps a quorum of live replicas, and never of the leader's replica:
 * leadership is transferred first, the removal follows in a later round.
 */
final class RangeRepair {
    private final ClusterView view;
    private final int replicationFactor;
    private final int[] zoneUse;

    RangeRepair(ClusterView view) {
        this.view = view;
        this.replicationFactor = view.limits.replicationFactor();
        this.zoneUse = new int[view.zoneCount];
    }

    void run() {
        for (long key : rangesNeedingRepairMostUrgentFirst()) {
            int r = (int) key;
            if (!view.busy[r]) {
                repair(r);
            }
        }
    }

    /** Keys (live replicas, range index) of every range some rule applies to, sorted: fewest live first. */
    private long[] rangesNeedingRepairMostUrgentFirst() {
        long[] keys = new long[view.ranges.length];
        int count = 0;
        for (int r = 0; r < view.ranges.length; r++) {
            if (needsRepair(r)) {
                keys[count++] = ((long) view.countLive(r) << 32) | r;
            }
        }
        long[] sorted = Arrays.copyOf(keys, count);
        Arrays.sort(sorted);
        return sorted;
    }

    private boolean needsRepair(int r) {
        if (view.pendingRemoval[r] >= 0 || view.replicaNode[r].length != replicationFactor) {
            return true;
        }
        for (ReplicaStatus s : view.status[r]) {
            if (s != ReplicaStatus.GOOD) {
                return true;
            }
        }
        return view.zonesUsed(r, -1, zoneUse) < view.zonesWanted();
    }

    private void repair(int r) {
        int members = view.replicaNode[r].length;
        if (view.countLive(r) < PlacementLimits.quorum(members)) {
            return;
        }
        int kept = view.countKept(r);
        int forgotten = find(r, ReplicaStatus.FORGOTTEN);
        int lost = find(r, ReplicaStatus.LOST);
        if (lost < 0) {
            lost = find(r, ReplicaStatus.STALE);
        }
        int leaving = find(r, ReplicaStatus.LEAVING);
        if (forgotten >= 0) {
            removeLeaderLast(r, forgotten);
        } else if (view.pendingRemoval[r] >= 0) {
            removeLeaderLast(r, view.pendingRemoval[r]);
        } else if (lost >= 0 && (kept >= replicationFactor || members > replicationFactor)) {
            removeLeaderLast(r, lost);
        } else if (kept < replicationFactor) {
            addReplica(r, leaving >= 0 ? leaving : lost);
        } else if (leaving >= 0) {
            removeLeaderLast(r, leaving);
        } else if (members > replicationFactor) {
            removeLeaderLast(r, worstPlaced(r));
        } else if (view.zonesUsed(r, -1, zoneUse) < view.zonesWanted()) {
            spreadOverZones(r);
        }
    }

    private int find(int r, ReplicaStatus wanted) {
        ReplicaStatus[] statuses = view.status[r];
        for (int i = 0; i < statuses.length; i++) {
            if (statuses[i] == wanted) {
                return i;
            }
        }
        return -1;
    }

    /** A zone the range does not use yet first while it spans fewer than it should, then least surplus. */
    private void addReplica(int r, int replaces) {
        boolean needsZone = view.zonesUsed(r, -1, zoneUse) < view.zonesWanted();
        int target = view.targets.best(r, null, zoneUse, needsZone);
        if (target >= 0 && view.canStartMove(r, target)) {
            view.startMove(r, target, replaces);
        }
    }

    /** Removes replica {@code i}, or, when it is the leader's, first hands leadership to the best GOOD replica. */
    private void removeLeaderLast(int r, int i) {
        if (view.leads(r, i)) {
            int to = view.bestLeaderFor(r, view.replicaNode[r][i]);
            if (to >= 0 && view.mayTransferLeader(r)) {
                view.transferLeader(r, to);
            }
        } else if (view.removalsLeft() && view.keepsQuorum(r, i)) {
            view.removeReplica(r, i);
        }
    }

    /**
     * The kept replica whose removal leaves the best shape: one in a zone the range uses twice, then one on a
     * SUSPECT node, then the one on the node with most surplus (the source of a balance move), then the first.
     */
    private int worstPlaced(int r) {
        view.zonesUsed(r, -1, zoneUse);
        int worst = -1;
        for (int i = 0; i < view.replicaNode[r].length; i++) {
            if (view.status[r][i].kept() && (worst < 0 || worse(r, i, worst))) {
                worst = i;
            }
        }
        return worst;
    }

    private boolean worse(int r, int a, int b) {
        int nodeA = view.replicaNode[r][a];
        int nodeB = view.replicaNode[r][b];
        boolean doubledA = zoneUse[view.zone[nodeA]] > 1;
        boolean doubledB = zoneUse[view.zone[nodeB]] > 1;
        if (doubledA != doubledB) {
            return doubledA;
        }
        boolean suspectA = view.status[r][a] == ReplicaStatus.SUSPECT;
        boolean suspectB = view.status[r][b] == ReplicaStatus.SUSPECT;
        if (suspectA != suspectB) {
            return suspectA;
        }
        return view.surplus(nodeA) > view.surplus(nodeB);
    }

    /** Moves the replica with most surplus among those sharing a zone to the best node of a zone not used yet. */
    private void spreadOverZones(int r) {
        view.zonesUsed(r, -1, zoneUse);
        int source = -1;
        for (int i = 0; i < view.replicaNode[r].length; i++) {
            int n = view.replicaNode[r][i];
            if (view.status[r][i] == ReplicaStatus.GOOD && zoneUse[view.zone[n]] > 1
                    && (source < 0 || view.surplus(n) > view.surplus(view.replicaNode[r][source]))) {
                source = i;
            }
        }
        boolean[] unused = new boolean[view.zoneCount];
        for (int z = 0; z < unused.length; z++) {
            unused[z] = zoneUse[z] == 0;
        }
        int target = source < 0 ? -1 : view.targets.best(r, unused, zoneUse, true);
        if (target >= 0 && view.canStartMove(r, target)) {
            view.startMove(r, target, source);
        }
    }
}
