package io.omendb.placement;

import java.util.Arrays;
import java.util.Comparator;

/** Per-node lists of range indexes, built in one pass over the replicas (counts, then fill). */
final class NodeRanges {
    private NodeRanges() {
    }

    /** For each node, the ranges it holds a GOOD replica of, in range id order. */
    static int[][] ofGoodReplicas(ClusterView view) {
        int[] count = new int[view.nodes.length];
        forEachGood(view, (n, r) -> count[n]++);
        int[][] lists = allocate(count);
        int[] filled = new int[view.nodes.length];
        forEachGood(view, (n, r) -> lists[n][filled[n]++] = r);
        return lists;
    }

    /** For each LIVE node, the ranges it leads, in range id order. */
    static int[][] ofLeaders(ClusterView view) {
        int[] count = new int[view.nodes.length];
        for (int r = 0; r < view.ranges.length; r++) {
            if (ledByLiveNode(view, r)) {
                count[view.leaderNode[r]]++;
            }
        }
        int[][] lists = allocate(count);
        int[] filled = new int[view.nodes.length];
        for (int r = 0; r < view.ranges.length; r++) {
            if (ledByLiveNode(view, r)) {
                lists[view.leaderNode[r]][filled[view.leaderNode[r]]++] = r;
            }
        }
        return lists;
    }

    /** {@code ranges} reordered most load first, then range id order. */
    static int[] mostLoadFirst(ClusterView view, int[] ranges) {
        return Arrays.stream(ranges).boxed()
                .sorted(Comparator.comparingDouble((Integer r) -> -view.ranges[r].loadOpsPerSec())
                        .thenComparingInt(r -> r))
                .mapToInt(Integer::intValue).toArray();
    }

    private static boolean ledByLiveNode(ClusterView view, int r) {
        return view.leaderNode[r] >= 0 && view.state[view.leaderNode[r]] == NodeState.LIVE;
    }

    private interface Visitor {
        void visit(int node, int range);
    }

    private static void forEachGood(ClusterView view, Visitor visitor) {
        for (int r = 0; r < view.ranges.length; r++) {
            for (int i = 0; i < view.replicaNode[r].length; i++) {
                if (view.status[r][i] == ReplicaStatus.GOOD) {
                    visitor.visit(view.replicaNode[r][i], r);
                }
            }
        }
    }

    private static int[][] allocate(int[] count) {
        int[][] lists = new int[count.length][];
        for (int n = 0; n < count.length; n++) {
            lists[n] = new int[count[n]];
        }
        return lists;
    }
}
