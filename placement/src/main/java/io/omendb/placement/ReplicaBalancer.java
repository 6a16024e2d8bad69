package io.omendb.placement;

import java.util.Comparator;
import java.util.TreeSet;

/**
 * Rule (c) for replicas: moves replicas from the node with most surplus (replicas above its
 * {@link BalanceTargets share}) to the node with least, while the move leaves the two closer together.
 *
 * <p><b>Why it converges and never flaps.</b> A move from {@code s} to {@code t} is made only when {@code s} is
 * above its share, {@code t} below its own, and {@code surplus(s) - surplus(t) > 1}; it then lowers the sum of squared
 * surpluses by {@code 2 * (surplus(s) - surplus(t) - 1) > 0}. That sum only falls while membership and ranges stay put,
 * so balance moves cannot cycle. A node gives only while above its share and receives only while below it, so a
 * replica moved from {@code s} to {@code t} does not come back: that would need {@code t} to climb above {@code s}
 * by more than one, and {@code t} stops receiving once above its share while {@code s} stops giving once below.
 * Moves stop once every node is within ±1 of its share: a node more than 1 above its share can give to any node below
 * its own, and one more than 1 below can take from any node above, so (the surpluses adding up to zero) no node
 * stays outside ±1 while a move between them is allowed. A move never lowers the number of zones a range spans below what
 * it should ({@code min(replicationFactor, zones)}).
 *
 * <p>A direct move needs a range on the source that the target may take. When zones forbid every one (the target's
 * zone is used by all the source's ranges), a two-move chain through a third node is searched instead, only while a
 * node is more than one from its share and at most {@value #CHAIN_SEARCHES_PER_ROUND_MAX} times per round, since a
 * search costs O(replicas).
 *
 * <p>Cost per round: O(replicas) to index, O(zones * log nodes) per move.
 */
final class ReplicaBalancer {
    static final int CHAIN_SEARCHES_PER_ROUND_MAX = 4;

    private final ClusterView view;
    private final int[] zoneUse;
    private final boolean[] zoneAllowed;
    private int chainSearchesLeft = CHAIN_SEARCHES_PER_ROUND_MAX;

    ReplicaBalancer(ClusterView view) {
        this.view = view;
        this.zoneUse = new int[view.zoneCount];
        this.zoneAllowed = new boolean[view.zoneCount];
    }

    void run() {
        int[][] rangesOn = NodeRanges.ofGoodReplicas(view);
        TreeSet<Integer> sources = new TreeSet<>(Comparator.comparingDouble((Integer n) -> -view.surplus(n))
                .thenComparingInt(n -> n));
        for (int n = 0; n < view.nodes.length; n++) {
            if (view.state[n] == NodeState.LIVE && rangesOn[n].length > 0) {
                sources.add(n);
            }
        }
        while (view.movesLeft() && !sources.isEmpty()) {
            int s = sources.pollFirst();
            int least = view.targets.leastSurplusNode();
            if (least < 0 || !improves(s, least)) {
                return;
            }
            boolean chainNeeded = view.surplus(s) > 1 || view.surplus(least) < -1;
            if (!view.saturated(s) && (moveOneFrom(s, rangesOn[s], sources)
                    || chainNeeded && chainSearchesLeft-- > 0 && moveAlongChain(s, least, rangesOn, sources))) {
                sources.add(s);
            }
        }
    }

    /** Ranges {@code s} does not lead first: moving a leader's replica needs a leadership transfer too. */
    private boolean moveOneFrom(int s, int[] ranges, TreeSet<Integer> sources) {
        return moveOneFrom(s, ranges, sources, false) || moveOneFrom(s, ranges, sources, true);
    }

    private boolean moveOneFrom(int s, int[] ranges, TreeSet<Integer> sources, boolean led) {
        for (int r : ranges) {
            if (!movable(r) || (view.leaderNode[r] == s) != led) {
                continue;
            }
            int i = view.replicaIndexOn(r, s);
            allowZones(r, i);
            int t = view.targets.best(r, zoneAllowed, zoneUse, false);
            if (t >= 0 && improves(s, t) && view.canStartMove(r, t)) {
                start(r, t, i, sources);
                return true;
            }
        }
        return false;
    }

    /**
     * When {@code s} has no range {@code t} can take (they all use {@code t}'s zone, say), a two-move chain through
     * a third node {@code u}: {@code s} gives {@code u} a range, {@code u} gives {@code t} another; {@code u} keeps its
     * count. O(replicas), hence bounded per round.
     */
    private boolean moveAlongChain(int s, int t, int[][] rangesOn, TreeSet<Integer> sources) {
        for (int u = 0; u < view.nodes.length; u++) {
            if (u == s || u == t || view.state[u] != NodeState.LIVE || view.saturated(u)) {
                continue;
            }
            int toT = movableRange(rangesOn[u], u, t, -1);
            int toU = toT < 0 ? -1 : movableRange(rangesOn[s], s, u, toT);
            if (toU >= 0 && view.canStartMoves(toT, t, toU, u)) {
                start(toT, t, view.replicaIndexOn(toT, u), sources);
                start(toU, u, view.replicaIndexOn(toU, s), sources);
                return true;
            }
        }
        return false;
    }

    /** The first of {@code ranges} (held by {@code from}) that may move to {@code to}, other than {@code except}. */
    private int movableRange(int[] ranges, int from, int to, int except) {
        for (int r : ranges) {
            if (r == except || !movable(r) || view.replicaIndexOn(r, to) >= 0 || !view.canStartMove(r, to)) {
                continue;
            }
            allowZones(r, view.replicaIndexOn(r, from));
            if (zoneAllowed[view.zone[to]]) {
                return r;
            }
        }
        return -1;
    }

    /** Zones a replica of {@code r} may move to from replica index {@code i}: those keeping its zone count. */
    private void allowZones(int r, int i) {
        int zonesWithout = view.zonesUsed(r, i, zoneUse);
        for (int z = 0; z < zoneAllowed.length; z++) {
            zoneAllowed[z] = zonesWithout + (zoneUse[z] == 0 ? 1 : 0) >= view.zonesWanted();
        }
    }

    /** Starts the move, re-filing its two nodes in {@code sources} around the change of their counts. */
    private void start(int r, int t, int i, TreeSet<Integer> sources) {
        int from = view.replicaNode[r][i];
        boolean targetFiled = sources.remove(t);
        boolean sourceFiled = sources.remove(from);
        view.startMove(r, t, i);
        if (targetFiled) {
            sources.add(t);
        }
        if (sourceFiled) {
            sources.add(from);
        }
    }

    private boolean movable(int r) {
        return !view.busy[r] && healthy(r);
    }

    /**
     * A move from {@code s} to {@code t}: from above its share to below its own, only if it helps, and only while one
     * of them is more than one from its share (moves copy data: none is made that the ±1 goal does not need).
     */
    private boolean improves(int s, int t) {
        double from = view.surplus(s);
        double to = view.surplus(t);
        return from > 0 && to < 0 && from - to > 1 && (from > 1 || to < -1);
    }

    private boolean healthy(int r) {
        if (view.replicaNode[r].length != view.limits.replicationFactor()) {
            return false;
        }
        for (ReplicaStatus s : view.status[r]) {
            if (s != ReplicaStatus.GOOD) {
                return false;
            }
        }
        return true;
    }
}
