package io.omendb.placement;

/**
 * The replica count each node should hold: the mean, except where zone spreading makes the mean impossible.
 *
 * <p>Every range spans {@code min(replicationFactor, zones)} zones. So when {@code zones <= replicationFactor} every
 * zone holds at least one replica of every range, and when {@code zones >= replicationFactor} at most one; with fewer
 * zones than replicas, a zone holds at most {@code replicationFactor - zones + 1} of a range. A zone's total is
 * therefore bounded below and above; each zone gets {@code clamp(nodes * m, low, high)} for the one level {@code m}
 * at which the totals add up to every replica (water filling, found by bisection), and its nodes share that equally.
 * With zones of similar size no bound binds and every node's share is the plain mean. Nodes of one zone always share
 * equally, so balancing inside a zone is balancing to its share.
 */
public final class BalanceTargets {
    private static final int BISECTION_STEPS = 100;

    private BalanceTargets() {
    }

    /**
     * @param nodesPerZone      LIVE nodes in each zone (zones without one are left out by the caller)
     * @param rangeCount        ranges in the cluster
     * @param replicationFactor voters per range
     * @return each zone's share per node, indexed like {@code nodesPerZone}
     */
    public static double[] sharePerNode(int[] nodesPerZone, long rangeCount, int replicationFactor) {
        int zones = nodesPerZone.length;
        double low = zones <= replicationFactor ? rangeCount : 0;
        double high = (double) rangeCount * (zones >= replicationFactor ? 1 : replicationFactor - zones + 1);
        double total = (double) rangeCount * replicationFactor;
        double lo = 0;
        double hi = total;
        for (int step = 0; step < BISECTION_STEPS; step++) {
            double mid = (lo + hi) / 2;
            if (placed(nodesPerZone, mid, low, high) < total) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double[] share = new double[zones];
        for (int z = 0; z < zones; z++) {
            share[z] = clamp(nodesPerZone[z] * hi, low, high) / nodesPerZone[z];
        }
        return share;
    }

    private static double placed(int[] nodesPerZone, double level, double low, double high) {
        double sum = 0;
        for (int n : nodesPerZone) {
            sum += clamp(n * level, low, high);
        }
        return sum;
    }

    private static double clamp(double v, double low, double high) {
        return Math.max(low, Math.min(high, v));
    }
}
