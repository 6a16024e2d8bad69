package io.omendb.placement;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class BalanceTargetsTest {
    private static final double EPSILON = 1e-9;

    @Test
    void zonesOfSimilarSizeShareTheMean() {
        assertArrayEquals(new double[] {30, 30, 30, 30, 30},
                BalanceTargets.sharePerNode(new int[] {2, 2, 2, 2, 2}, 100, 3), EPSILON);
    }

    @Test
    void aZoneWithMoreThanItsShareOfNodesHoldsOneReplicaOfEachRangeAtMost() {
        // 3 zones, 3 replicas: each zone holds exactly one replica of each range, however many nodes it has
        assertArrayEquals(new double[] {10, 100, 50},
                BalanceTargets.sharePerNode(new int[] {10, 1, 2}, 100, 3), EPSILON);
        // 4 zones, 3 replicas: the big zone is capped at 100 replicas, the others share the remaining 200 equally
        assertArrayEquals(new double[] {10, 200.0 / 3, 200.0 / 3, 200.0 / 3},
                BalanceTargets.sharePerNode(new int[] {10, 1, 1, 1}, 100, 3), EPSILON);
    }

    @Test
    void withFewerZonesThanReplicasEveryZoneHoldsEachRangeAtLeastOnce() {
        // 2 zones, 3 replicas: the lone node of the small zone holds every range
        assertArrayEquals(new double[] {100, 200.0 / 9},
                BalanceTargets.sharePerNode(new int[] {1, 9}, 100, 3), EPSILON);
    }
}
