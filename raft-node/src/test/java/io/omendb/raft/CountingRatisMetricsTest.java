package io.omendb.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.ratis.metrics.LongCounter;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.junit.jupiter.api.Test;

class CountingRatisMetricsTest {
    private static final MetricRegistryInfo INFO = new MetricRegistryInfo("n1@group-1", "ratis", "log_worker",
            "test registry");

    @Test
    void ratisLoadsItAsItsOnlyImplementation() {
        assertInstanceOf(CountingRatisMetrics.class, MetricRegistries.global());
    }

    @Test
    void registriesAreReferenceCountedLikeRatisDefault() {
        CountingRatisMetrics metrics = new CountingRatisMetrics();
        RatisMetricRegistry first = metrics.create(INFO);
        assertSame(first, metrics.create(INFO));
        assertFalse(metrics.remove(INFO)); // one reference left
        assertSame(first, metrics.get(INFO).orElseThrow());
        assertTrue(metrics.remove(INFO));
        assertTrue(metrics.get(INFO).isEmpty());
        assertFalse(metrics.remove(INFO));
        assertTrue(metrics.getMetricRegistries().isEmpty());
    }

    @Test
    void countersCountAndTimersCostNothing() {
        RatisMetricRegistry registry = new CountingRatisMetrics().create(INFO);
        LongCounter hits = registry.counter("hits");
        hits.inc();
        hits.inc(4);
        hits.dec();
        assertEquals(4, registry.counter("hits").getCount());
        assertEquals(0L, registry.timer("flush").time().stop());
        assertTrue(registry.remove("hits"));
        assertEquals(0, registry.counter("hits").getCount());
    }

    @Test
    void theLogCacheGaugesAreKeptAndSummedOverLogs() {
        CountingRatisMetrics metrics = new CountingRatisMetrics();
        MetricRegistryInfo other = new MetricRegistryInfo("n1@group-2", "ratis", "log_worker", "second log");
        metrics.create(INFO).gauge(CountingRatisMetrics.OPEN_SEGMENT_GAUGE, () -> () -> 3_000L);
        RatisMetricRegistry second = metrics.create(other);
        second.gauge(CountingRatisMetrics.OPEN_SEGMENT_GAUGE, () -> () -> 500L);
        second.gauge(CountingRatisMetrics.CACHED_CLOSED_SEGMENTS_GAUGE, () -> () -> 2L);
        second.gauge("closedSegmentsSizeInBytes", () -> () -> 1_000_000L);
        assertEquals(3_000 + 500 + 2 * 10_000, metrics.cacheBytes(10_000), "closed segments at the segment size");
        second.remove(CountingRatisMetrics.OPEN_SEGMENT_GAUGE);
        second.remove(CountingRatisMetrics.CACHED_CLOSED_SEGMENTS_GAUGE);
        assertEquals(3_000, metrics.cacheBytes(10_000));
        assertTrue(metrics.remove(INFO));
        assertEquals(0, metrics.cacheBytes(10_000), "a closed log no longer counts");
    }

    @Test
    void reportersAreRefusedWithAReason() {
        CountingRatisMetrics metrics = new CountingRatisMetrics();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                metrics::enableJmxReporter);
        assertTrue(e.getMessage().contains("omendb_raft_"), e.getMessage());
    }
}
