package io.omendb.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * The LIVE nodes that may receive a replica, per zone, fewest replicas first (then by id), so the best target of a
 * range is found in O(zones * (replicationFactor + log nodes)) instead of a scan of every node.
 *
 * <p>Inside a zone every node has the same share ({@link BalanceTargets}), so fewest replicas is least surplus. A node
 * that reaches {@code maxMovesPerNode} is dropped for the rest of the round (moves only start within a round, so it
 * stays saturated). Counts change only through {@link #adjust}, which re-files the node.
 */
final class TargetIndex {
    private final ClusterView view;
    private final List<TreeSet<Integer>> byZone = new ArrayList<>();
    private final boolean[] filed;

    TargetIndex(ClusterView view) {
        this.view = view;
        Comparator<Integer> fewestFirst = Comparator.comparingInt((Integer n) -> view.replicas[n])
                .thenComparingInt(n -> n);
        for (int z = 0; z < view.zoneCount; z++) {
            byZone.add(new TreeSet<>(fewestFirst));
        }
        filed = new boolean[view.nodes.length];
        for (int n = 0; n < view.nodes.length; n++) {
            if (view.state[n] == NodeState.LIVE && !view.saturated(n)) {
                byZone.get(view.zone[n]).add(n);
                filed[n] = true;
            }
        }
    }

    void adjust(int node, int delta) {
        if (filed[node]) {
            byZone.get(view.zone[node]).remove(node);
        }
        view.replicas[node] += delta;
        if (filed[node]) {
            if (view.saturated(node)) {
                filed[node] = false;
            } else {
                byZone.get(view.zone[node]).add(node);
            }
        }
    }

    /**
     * The best node for a new replica of range {@code r}: not holding any replica of it, not saturated, in a zone
     * {@code zoneAllowed} admits; by zone the range does not use yet ({@code zoneUse[z] == 0}) first when
     * {@code unusedZoneFirst}, then least surplus, then id. -1 when there is none.
     */
    int best(int r, boolean[] zoneAllowed, int[] zoneUse, boolean unusedZoneFirst) {
        int best = -1;
        for (int z = 0; z < byZone.size(); z++) {
            if (zoneAllowed != null && !zoneAllowed[z]) {
                continue;
            }
            int candidate = firstEligible(z, r);
            if (candidate >= 0 && (best < 0 || better(candidate, best, zoneUse, unusedZoneFirst))) {
                best = candidate;
            }
        }
        return best;
    }

    /** The node with least surplus among those that can still receive a move, or -1 when none can. */
    int leastSurplusNode() {
        int least = -1;
        for (int z = 0; z < byZone.size(); z++) {
            int first = firstEligible(z, -1);
            if (first >= 0 && (least < 0 || better(first, least, null, false))) {
                least = first;
            }
        }
        return least;
    }

    private int firstEligible(int z, int r) {
        TreeSet<Integer> zone = byZone.get(z);
        Integer n = zone.isEmpty() ? null : zone.first();
        while (n != null) {
            Integer next = zone.higher(n);
            if (view.saturated(n)) {
                zone.remove(n);
                filed[n] = false;
            } else if (r < 0 || view.replicaIndexOn(r, n) < 0) {
                return n;
            }
            n = next;
        }
        return -1;
    }

    private boolean better(int a, int b, int[] zoneUse, boolean unusedZoneFirst) {
        if (unusedZoneFirst) {
            boolean aNew = zoneUse[view.zone[a]] == 0;
            boolean bNew = zoneUse[view.zone[b]] == 0;
            if (aNew != bNew) {
                return aNew;
            }
        }
        int bySurplus = Double.compare(view.surplus(a), view.surplus(b));
        return bySurplus != 0 ? bySurplus < 0 : a < b;
    }
}
