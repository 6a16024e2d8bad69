package io.omendb.raft;

import org.apache.ratis.metrics.LongCounter;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.RatisMetrics;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.server.metrics.RaftLogMetricsBase;
import org.apache.ratis.metrics.Timekeeper;
import org.apache.ratis.util.TimeDuration;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Ratis' internal metric registries in an OmenDB process: counters count, timers do not time, two gauges are kept
 * (below), nothing is reported.
 *
 * <p><b>Why.</b> Ratis times every log write, flush and queue wait and every appendEntries round trip. Its default
 * implementation ({@code ratis-metrics-default}) keeps each timer in a Dropwizard reservoir that inserts into a
 * {@code ConcurrentSkipListMap} per sample, and publishes the numbers only over JMX, which OmenDB neither documents
 * nor exports: under the cluster write benchmark those timers were 2.9 % of node CPU (docs/BENCHMARKS.md item 13).
 * What operators read are OmenDB's own Raft metrics ({@code omendb_raft_*}, docs/OPERATIONS.md). Counters stay real
 * ({@link LongAdder}, a few nanoseconds) because Ratis' interface lets callers read them.
 *
 * <p><b>The two gauges kept: what a log holds in heap.</b> Ratis keeps every entry of a group's open log segment in
 * memory until the segment rolls at {@code [wal] segment_size_mb}, and never evicts it; a closed segment stays cached
 * until an eviction finds it flushed, applied and sent to every follower, which is checked only when the next segment
 * rolls (or on a cache miss), so the segment closed last usually stays too. {@link #logCacheBytes(long)} adds Ratis'
 * gauges for them ({@value #OPEN_SEGMENT_GAUGE}: the open segment's bytes on disk, about its entries' heap;
 * {@value #CACHED_CLOSED_SEGMENTS_GAUGE}: closed segments still cached, each counted at the segment size, an upper
 * bound) over every log in the process, so the memtable budget can leave room for it (OmenNode, "Memory").
 *
 * <p><b>How Ratis finds it.</b> {@link MetricRegistries#global()} loads implementations with {@link
 * java.util.ServiceLoader}; this class is listed in {@code META-INF/services/org.apache.ratis.metrics.MetricRegistries}
 * and {@code ratis-metrics-default} is not on the classpath, so it is the only one. Registries are reference-counted
 * like the default's: Ratis creates one per server, division and log, and removes it when that closes.
 *
 * <p>Thread-safe.
 */
public final class CountingRatisMetrics extends MetricRegistries {
    private static final Timekeeper.Context NOT_TIMED = () -> 0L;
    private static final Timekeeper UNTIMED = () -> NOT_TIMED;
    /** {@code SegmentedRaftLogMetrics.RAFT_LOG_CACHE_OPEN_SEGMENT_SIZE_IN_BYTES} in Ratis 3.3. */
    static final String OPEN_SEGMENT_GAUGE = "openSegmentSizeInBytes";
    /** {@code SegmentedRaftLogMetrics.RAFT_LOG_CACHE_CLOSED_SEGMENTS_NUM} in Ratis 3.3: closed segments still cached. */
    static final String CACHED_CLOSED_SEGMENTS_GAUGE = "closedSegmentsNum";

    private record Counted(Registry registry, int references) {
    }

    private final Map<MetricRegistryInfo, Counted> registries = new ConcurrentHashMap<>();

    /** Used by {@link java.util.ServiceLoader}. */
    public CountingRatisMetrics() {
    }

    @Override
    public RatisMetricRegistry create(MetricRegistryInfo info) {
        return registries.compute(info, (k, c) -> c == null ? new Counted(new Registry(info), 1)
                : new Counted(c.registry, c.references + 1)).registry;
    }

    /** Drops one reference; true when that was the last and the registry is gone. */
    @Override
    public boolean remove(MetricRegistryInfo info) {
        boolean[] removed = {false};
        registries.computeIfPresent(info, (k, c) -> {
            removed[0] = c.references == 1;
            return removed[0] ? null : new Counted(c.registry, c.references - 1);
        });
        return removed[0];
    }

    @Override
    public Optional<RatisMetricRegistry> get(MetricRegistryInfo info) {
        return Optional.ofNullable(registries.get(info)).map(Counted::registry);
    }

    @Override
    public Set<MetricRegistryInfo> getMetricRegistryInfos() {
        return Set.copyOf(registries.keySet());
    }

    @Override
    public Collection<RatisMetricRegistry> getMetricRegistries() {
        return registries.values().stream().<RatisMetricRegistry>map(Counted::registry).toList();
    }

    /**
     * Heap the Raft logs of this process hold (all nodes of a local cluster share the heap, so they count together),
     * in bytes, closed segments counted at {@code segmentBytesMax} each; 0 when Ratis' registries are not this class's.
     */
    static long logCacheBytes(long segmentBytesMax) {
        return MetricRegistries.global() instanceof CountingRatisMetrics metrics
                ? metrics.cacheBytes(segmentBytesMax) : 0;
    }

    /** As {@link #logCacheBytes(long)}, of one replica's log ({@code memberId}: node and group); 0 when none is open. */
    static long logCacheBytes(RaftGroupMemberId memberId, long segmentBytesMax) {
        if (!(MetricRegistries.global() instanceof CountingRatisMetrics metrics)) {
            return 0;
        }
        Counted log = metrics.registries.get(new MetricRegistryInfo(memberId.toString(),
                RatisMetrics.RATIS_APPLICATION_NAME_METRICS, RaftLogMetricsBase.RATIS_LOG_WORKER_METRICS,
                RaftLogMetricsBase.RATIS_LOG_WORKER_METRICS_DESC));
        return log == null ? 0 : log.registry.cacheBytes(segmentBytesMax);
    }

    long cacheBytes(long segmentBytesMax) {
        long sum = 0;
        for (Counted c : registries.values()) {
            sum += c.registry.cacheBytes(segmentBytesMax);
        }
        return sum;
    }

    @Override
    public void clear() {
        registries.clear();
    }

    @Override
    public void addReporterRegistration(Consumer<RatisMetricRegistry> reporterRegistration,
                                        Consumer<RatisMetricRegistry> stopReporter) {
        throw notReported();
    }

    @Override
    public void enableJmxReporter() {
        throw notReported();
    }

    @Override
    public void enableConsoleReporter(TimeDuration consoleReportRate) {
        throw notReported();
    }

    private static UnsupportedOperationException notReported() {
        return new UnsupportedOperationException("Ratis' internal metrics are not reported in OmenDB; "
                + "its Raft metrics are the omendb_raft_* series on the metrics endpoint");
    }

    private static final class Registry implements RatisMetricRegistry {
        private final MetricRegistryInfo info;
        private final Map<String, Counter> counters = new ConcurrentHashMap<>();
        private volatile Supplier<?> openSegmentBytes;
        private volatile Supplier<?> cachedClosedSegments;

        Registry(MetricRegistryInfo info) {
            this.info = info;
        }

        @Override
        public Timekeeper timer(String name) {
            return UNTIMED;
        }

        @Override
        public LongCounter counter(String name) {
            return counters.computeIfAbsent(name, n -> new Counter());
        }

        @Override
        public boolean remove(String name) {
            if (OPEN_SEGMENT_GAUGE.equals(name)) {
                openSegmentBytes = null;
            } else if (CACHED_CLOSED_SEGMENTS_GAUGE.equals(name)) {
                cachedClosedSegments = null;
            }
            return counters.remove(name) != null;
        }

        /** Keeps only the two log cache gauges; nothing else in OmenDB reads Ratis' gauges. */
        @Override
        public <T> void gauge(String name, Supplier<Supplier<T>> gaugeSupplier) {
            if (OPEN_SEGMENT_GAUGE.equals(name)) {
                openSegmentBytes = gaugeSupplier.get();
            } else if (CACHED_CLOSED_SEGMENTS_GAUGE.equals(name)) {
                cachedClosedSegments = gaugeSupplier.get();
            }
        }

        long cacheBytes(long segmentBytesMax) {
            return read(openSegmentBytes) + read(cachedClosedSegments) * segmentBytesMax;
        }

        private static long read(Supplier<?> gauge) {
            return gauge != null && gauge.get() instanceof Long value ? value : 0;
        }

        @Override
        public MetricRegistryInfo getMetricRegistryInfo() {
            return info;
        }
    }

    private static final class Counter implements LongCounter {
        private final LongAdder count = new LongAdder();

        @Override
        public void inc(long n) {
            count.add(n);
        }

        @Override
        public void dec(long n) {
            count.add(-n);
        }

        @Override
        public long getCount() {
            return count.sum();
        }
    }
}
