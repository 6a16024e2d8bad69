package io.omendb.benchcluster;

import static io.omendb.benchcluster.WarmupRule.Decision.CONTINUE;
import static io.omendb.benchcluster.WarmupRule.Decision.MAX_REACHED;
import static io.omendb.benchcluster.WarmupRule.Decision.STEADY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WarmupRuleTest {
    /** 10-s windows, at least 10 s, at most 180 s, 5 %. */
    private static final WarmupRule DEFAULTS = new WarmupRule(10_000, 10_000, 180_000, 0.05);

    /** Feeds the series window by window, as LoadGenerator does, and returns how many windows were run. */
    private static int windowsRun(WarmupRule rule, List<Double> series, WarmupRule.Decision expectedEnd) {
        List<Double> seen = new ArrayList<>();
        for (double opsPerSecond : series) {
            seen.add(opsPerSecond);
            WarmupRule.Decision d = rule.decide(seen);
            if (d != CONTINUE) {
                assertEquals(expectedEnd, d, "after " + seen);
                return seen.size();
            }
        }
        throw new AssertionError("never ended: " + seen);
    }

    @Test
    void steadyOnceTheLastThreeWindowsMatchTheThreeBefore() {
        // OmenDB write throughput in 20-s windows measured with wrk on 2 cores, then a plateau
        List<Double> series = List.of(380.0, 927.0, 1267.0, 1409.0, 1506.0, 1549.0, 1560.0, 1555.0, 1565.0, 1570.0);
        // at 8 windows 1,394 -> 1,555 ops/s (11.5 %); at 9, 1,488 -> 1,560 (4.8 %)
        assertEquals(9, windowsRun(DEFAULTS, series, STEADY));
        assertEquals(90_000, DEFAULTS.elapsedMs(9));
    }

    @Test
    void aRisingSeriesIsNeverSteadyAndStopsAtTheMaximum() {
        List<Double> rising = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            rising.add(100.0 * Math.pow(1.06, i));
        }
        assertEquals(18, windowsRun(DEFAULTS, rising, MAX_REACHED));
        assertEquals(180_000, DEFAULTS.elapsedMs(18));
    }

    @Test
    void aSlowClimbHiddenInWindowNoiseIsNotSteady() {
        // +3 % per window, every other window 2 % up or down: adjacent windows are often within 5 %
        List<Double> climbing = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            climbing.add(1000.0 * Math.pow(1.03, i) * (i % 2 == 0 ? 1.02 : 0.98));
        }
        assertTrue(Math.abs(climbing.get(1) - climbing.get(0)) / climbing.get(0) < 0.05,
                "two adjacent windows look steady");
        assertEquals(18, windowsRun(DEFAULTS, climbing, MAX_REACHED));
    }

    @Test
    void toleranceIsStrictAndAppliesBothWays() {
        assertEquals(STEADY, DEFAULTS.decide(List.of(100.0, 100.0, 100.0, 104.9, 104.9, 104.9)));
        assertEquals(CONTINUE, DEFAULTS.decide(List.of(100.0, 100.0, 100.0, 105.0, 105.0, 105.0)));
        assertEquals(STEADY, DEFAULTS.decide(List.of(100.0, 100.0, 100.0, 95.1, 95.1, 95.1)));
        assertEquals(CONTINUE, DEFAULTS.decide(List.of(100.0, 100.0, 100.0, 95.0, 95.0, 95.0)));
    }

    @Test
    void fewerThanTwoSpansOrAWindowWithoutThroughputIsNeverSteady() {
        WarmupRule rule = new WarmupRule(0, 10_000, 180_000, 0.05);
        assertEquals(CONTINUE, rule.decide(List.of()));
        assertEquals(CONTINUE, rule.decide(List.of(500.0, 500.0, 500.0, 500.0, 500.0)));
        assertEquals(CONTINUE, rule.decide(List.of(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)));
        assertEquals(CONTINUE, rule.decide(List.of(500.0, 500.0, 500.0, 500.0, 0.0, 500.0)));
    }

    @Test
    void theMinimumHoldsOffAPlateau() {
        WarmupRule rule = new WarmupRule(80_000, 10_000, 180_000, 0.05);
        assertEquals(8, windowsRun(rule, List.of(1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0,
                1000.0), STEADY));
    }

    @Test
    void theLastWindowIsCutAtTheMaximum() {
        WarmupRule rule = new WarmupRule(5_000, 10_000, 25_000, 0.05);
        assertEquals(10_000, rule.nextWindowMs(0));
        assertEquals(5_000, rule.nextWindowMs(2));
        assertEquals(3, windowsRun(rule, List.of(100.0, 200.0, 400.0), MAX_REACHED));
        assertEquals(25_000, rule.elapsedMs(3));
    }

    @Test
    void aZeroMaximumMeansNoWarmup() {
        assertEquals(MAX_REACHED, new WarmupRule(0, 10_000, 0, 0.05).decide(List.of()));
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new WarmupRule(60_000, 10_000, 30_000, 0.05));
        assertThrows(IllegalArgumentException.class, () -> new WarmupRule(0, 0, 30_000, 0.05));
        assertThrows(IllegalArgumentException.class, () -> new WarmupRule(0, 10_000, 30_000, 0));
        assertThrows(IllegalArgumentException.class, () -> new WarmupRule(0, 10_000, 30_000, 1));
    }
}
