package io.omendb.placement;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Rule (c) for leaders: transfers leadership from the LIVE node leading most ranges to one leading at least two
 * fewer, while one of the two is more than one from the mean leader count; at most
 * {@code maxLeaderTransfersPerRound} per round and once per range per round. Among equals, load
 * decides: the busiest source gives up first, its busiest range first, to the least-loaded target.
 *
 * <p>A direct transfer needs a range the source leads with a replica on the target. A node more than one below the mean
 * also pulls leadership of its own replicas' ranges from their leaders. When neither works (every
 * replica of its ranges is on a node leading nearly as many), a chain is searched breadth-first: the source hands a
 * range to {@code x1}, {@code x1} hands another to {@code x2}, ..., the last to a node leading at least two fewer
 * than the source; only the two ends change count. Searches cost O(leaders) each, so they run only while a node is
 * more than one from the mean ({@link #chainNeeded}), at most {@value #CHAIN_SEARCHES_PER_ROUND_MAX} per round.
 *
 * <p>Like {@link ReplicaBalancer}, each step lowers the sum of squared leader counts (the counts of its ends differ by
 * two or more), so transfers cannot cycle while the cluster stays put; at the fixed point leader counts differ by at
 * most one, so each is within ±1 of the mean. A transfer only changes who leads, never the voters, so it moves no data
 * and is not counted against the move limits.
 */
final class LeaderBalancer {
    static final int CHAIN_SEARCHES_PER_ROUND_MAX = 16;

    private final ClusterView view;
    private final TreeSet<Integer> most;
    private final TreeSet<Integer> fewest;
    private int chainSearchesLeft = CHAIN_SEARCHES_PER_ROUND_MAX;
    private double mean;

    LeaderBalancer(ClusterView view) {
        this.view = view;
        most = new TreeSet<>(Comparator.comparingInt((Integer n) -> -view.leaders[n])
                .thenComparingDouble(n -> -view.leaderLoad[n]).thenComparingInt(n -> n));
        fewest = new TreeSet<>(Comparator.comparingInt((Integer n) -> view.leaders[n])
                .thenComparingDouble(n -> view.leaderLoad[n]).thenComparingInt(n -> n));
    }

    void run() {
        int[][] ledBy = NodeRanges.ofLeaders(view);
        int[][] replicasOn = NodeRanges.ofGoodReplicas(view);
        long led = 0;
        for (int n = 0; n < view.nodes.length; n++) {
            if (view.state[n] == NodeState.LIVE) {
                most.add(n);
                fewest.add(n);
                led += view.leaders[n];
            }
        }
        mean = most.isEmpty() ? 0 : (double) led / most.size();
        // only sources need their ranges by load, and most nodes never are one: sorted on first use
        int[][] byLoad = new int[view.nodes.length][];
        while (view.transfersLeft() && !most.isEmpty()) {
            int s = most.pollFirst();
            int least = view.leaders[fewest.first()];
            if (view.leaders[s] - least <= 1 || view.leaders[s] <= mean + 1 && least >= mean - 1) {
                return;
            }
            if (byLoad[s] == null) {
                byLoad[s] = NodeRanges.mostLoadFirst(view, ledBy[s]);
            }
            if (transferOneFrom(s, byLoad[s]) || pullTo(fewest.first(), replicasOn)
                    || chainNeeded(s) && chainSearchesLeft-- > 0 && transferAlongChain(s, ledBy)) {
                most.add(s);
            }
        }
    }

    /**
     * Chains cost O(leaders) each and a transfer per hop, so they are searched only when a node is more than one from
     * the mean: above it, or below it while holding its share of replicas (a node still filling up, one that just
     * joined say, is served by {@link #pullTo} as its replicas arrive).
     */
    private boolean chainNeeded(int s) {
        int least = fewest.first();
        return view.leaders[s] > mean + 1 || view.leaders[least] < mean - 1 && view.surplus(least) >= -1;
    }

    /**
     * For a node more than one below the mean (one that just joined, say): leadership of a range it holds a replica
     * of, from that range's leader if it leads at least two more. O(replicas on the node), so tried before a chain.
     */
    private boolean pullTo(int t, int[][] replicasOn) {
        if (view.leaders[t] >= mean - 1) {
            return false;
        }
        for (int r : replicasOn[t]) {
            int from = view.leaderNode[r];
            if (from >= 0 && from != t && view.state[from] == NodeState.LIVE && view.mayTransferLeader(r)
                    && view.leaders[from] - view.leaders[t] >= 2) {
                transfer(r, t);
                return true;
            }
        }
        return false;
    }

    private boolean transferOneFrom(int s, int[] ledRanges) {
        for (int r : ledRanges) {
            if (view.leaderNode[r] != s || !view.mayTransferLeader(r)) {
                continue;
            }
            int t = view.bestLeaderFor(r, s);
            if (t >= 0 && view.leaders[s] - view.leaders[t] >= 2 && (view.leaders[s] > mean + 1
                    || view.leaders[t] < mean - 1)) {
                transfer(r, t);
                return true;
            }
        }
        return false;
    }

    /** Breadth-first from {@code s} over "leads a range with a replica on"; applies the first chain found. */
    private boolean transferAlongChain(int s, int[][] ledBy) {
        int[] viaRange = new int[view.nodes.length];
        int[] parent = new int[view.nodes.length];
        Arrays.fill(parent, -2);
        parent[s] = -1;
        ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(s));
        while (!queue.isEmpty()) {
            int x = queue.poll();
            for (int r : ledBy[x]) {
                if (view.leaderNode[r] != x || !view.mayTransferLeader(r)) {
                    continue;
                }
                for (int i = 0; i < view.replicaNode[r].length; i++) {
                    int y = view.replicaNode[r][i];
                    if (view.status[r][i] != ReplicaStatus.GOOD || parent[y] != -2) {
                        continue;
                    }
                    parent[y] = x;
                    viaRange[y] = r;
                    if (view.leaders[s] - view.leaders[y] >= 2) {
                        return applyChain(y, parent, viaRange);
                    }
                    queue.add(y);
                }
            }
        }
        return false;
    }

    private boolean applyChain(int end, int[] parent, int[] viaRange) {
        List<Integer> hops = new ArrayList<>();
        for (int y = end; parent[y] >= 0; y = parent[y]) {
            hops.add(y);
        }
        // the budget is per transfer; a chain longer than what is left waits for a later round
        if (hops.size() > view.transfersLeftCount()) {
            return false;
        }
        for (int y : hops) {
            transfer(viaRange[y], y);
        }
        return true;
    }

    private void transfer(int r, int to) {
        int from = view.leaderNode[r];
        fewest.remove(from);
        fewest.remove(to);
        boolean toFiled = most.remove(to);
        boolean fromFiled = most.remove(from);
        view.transferLeader(r, to);
        fewest.add(from);
        fewest.add(to);
        if (toFiled) {
            most.add(to);
        }
        if (fromFiled) {
            most.add(from);
        }
    }
}
