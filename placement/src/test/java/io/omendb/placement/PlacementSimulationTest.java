package io.omendb.placement;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs {@link PlacementSimulation}: {@code placement.seeds} seeds (default {@value #SEEDS_DEFAULT}) of small clusters
 * whose shape (nodes, zones, ranges, replication factor, limits, faults) is drawn from the seed, or only
 * {@code placement.seed} when given; and one run at 2,000 nodes and 100,000 ranges that prints how long the driver's
 * rounds take. A failing seed is printed with its faults and the command that replays it.
 */
class PlacementSimulationTest {
    static final int SEEDS_DEFAULT = 200;
    private static final int FAILURES_SHOWN_MAX = 3;
    private static final long MIB = 1L << 20;

    @Test
    void seeds() {
        Long only = Long.getLong("placement.seed");
        long first = only != null ? only : Long.getLong("placement.seedStart", 1L);
        int count = only != null ? 1 : Integer.getInteger("placement.seeds", SEEDS_DEFAULT);
        List<PlacementSimulation.Outcome> failed = new ArrayList<>();
        long adds = 0;
        long lowerBound = 0;
        long started = System.nanoTime();
        for (long seed = first; seed < first + count; seed++) {
            PlacementSimulation.Outcome o = new PlacementSimulation(seed, smallCluster(seed)).run();
            adds += o.adds();
            lowerBound += o.addsLowerBound();
            if (!o.ok()) {
                failed.add(o);
            }
        }
        System.out.printf("placement simulation: %d seeds from %d in %d ms, %d failed; %d adds against a lower bound"
                        + " of %d%n", count, first, (System.nanoTime() - started) / 1_000_000, failed.size(), adds,
                lowerBound);
        StringBuilder report = new StringBuilder();
        failed.stream().limit(FAILURES_SHOWN_MAX).forEach(o -> report.append(describe(o)));
        System.out.print(report);
        assertTrue(failed.isEmpty(), () -> failed.size() + " of " + count + " seeds failed (seeds "
                + failed.stream().map(o -> Long.toString(o.seed())).limit(20).toList() + ")\n" + report);
    }

    /**
     * Clusters laid out as a real one starts: members listed zone by zone and the initial ranges placed round-robin
     * over them ({@code ClusterLayout}), which puts many ranges twice in one zone; the driver must spread every range
     * over {@code min(replicationFactor, zones)} zones and keep each node within ±1 of its share, faults or not.
     */
    @Test
    void rangesPlacedInConfigurationOrderEndSpreadOverZones() {
        int count = Integer.getInteger("placement.seeds", SEEDS_DEFAULT) / 2;
        List<Long> failed = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        for (long seed = 1; seed <= count; seed++) {
            PlacementSimulation.Outcome o = new PlacementSimulation(seed, smallCluster(seed)
                    .withLayout(PlacementSimulation.Layout.CONFIG_ORDER)).run();
            if (!o.ok()) {
                failed.add(seed);
                report.append(failed.size() <= FAILURES_SHOWN_MAX ? describe(o) : "");
            }
        }
        assertTrue(failed.isEmpty(), () -> failed.size() + " of " + count + " seeds failed " + failed + report);
    }

    @Test
    void oneSeedOneRun() {
        PlacementSimulation.Outcome once = new PlacementSimulation(7, smallCluster(7)).run();
        PlacementSimulation.Outcome again = new PlacementSimulation(7, smallCluster(7)).run();
        assertEquals(once.faultLog(), again.faultLog());
        assertEquals(List.of(once.rounds(), once.simMs(), once.adds(), once.removals(), once.transfers()),
                List.of(again.rounds(), again.simMs(), again.adds(), again.removals(), again.transfers()));
        PlacementSimulation.Outcome other = new PlacementSimulation(8, smallCluster(8)).run();
        assertNotEquals(once.faultLog(), other.faultLog(), "another seed, another run");
    }

    /** Thousands of nodes, 100,000 ranges: the driver must stay O(ranges log nodes) per round. */
    @Test
    void largeCluster() {
        PlacementLimits limits = new PlacementLimits(3, 10_000, 300_000, 8, 4_000, 1_000);
        PlacementSimulation.Config config = new PlacementSimulation.Config(2_000, 100_000, 5, limits, 60_000, 20,
                100 * MIB, 1_000, 5_000, 2_000, 128 * MIB);
        long started = System.nanoTime();
        PlacementSimulation.Outcome o = new PlacementSimulation(Long.getLong("placement.seed", 1L), config).run();
        long wallMs = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("placement simulation at scale: 2000 nodes (%d LIVE at the end), 100000 ranges, %d rounds"
                        + " in %d ms wall (driver: %d ms total, %d ms the slowest round, %.1f ms a round);"
                        + " converged %d ms after faults stopped (%d ms simulated); %d adds against a lower bound of"
                        + " %d, %d MiB copied, %d removals, %d leader transfers%n",
                o.liveNodes(), o.rounds(), wallMs, o.driverNanosTotal() / 1_000_000, o.driverNanosMax() / 1_000_000,
                o.driverNanosTotal() / 1e6 / Math.max(1, o.rounds()), o.convergedAfterFaultsMs(), o.simMs(), o.adds(),
                o.addsLowerBound(), o.bytesMoved() / MIB, o.removals(), o.transfers());
        assertTrue(o.ok(), () -> describe(o));
    }

    /** A cluster of 4 to 30 nodes in 1 to 5 zones, 10 to 200 ranges, 3 or 5 replicas, limits and faults drawn. */
    static PlacementSimulation.Config smallCluster(long seed) {
        Random r = new Random(seed * 31 + 17);
        int nodes = 4 + r.nextInt(27);
        int replicationFactor = nodes >= 8 && r.nextInt(4) == 0 ? 5 : 3;
        // a leadership chain longer than the per-round transfer budget is never made (LeaderBalancer), so the budget
        // is drawn at or above the longest chain these cluster sizes need
        PlacementLimits limits = new PlacementLimits(replicationFactor, 10_000, 300_000, 1 + r.nextInt(4),
                2 + r.nextInt(31), 8 + r.nextInt(9));
        return new PlacementSimulation.Config(nodes, 10 + r.nextInt(191), 1 + r.nextInt(5), limits, 900_000,
                r.nextInt(31), 64 * MIB, 500, 1_000, 20_000, 256 * MIB);
    }

    private static String describe(PlacementSimulation.Outcome o) {
        return "\n=== seed " + o.seed() + " failed after " + o.rounds() + " rounds, " + o.simMs() + " ms simulated: "
                + o.failure() + "\n--- faults:\n" + o.faultLog()
                + "--- replay: mvn -o -pl placement test -Dtest='PlacementSimulationTest#seeds'"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dplacement.seed=" + o.seed() + "\n";
    }
}
