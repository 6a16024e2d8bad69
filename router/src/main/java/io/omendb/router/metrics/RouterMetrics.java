package io.omendb.router.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jvm.GarbageCollectorMetricSet;
import com.codahale.metrics.jvm.MemoryUsageGaugeSet;
import com.codahale.metrics.jvm.ThreadStatesGaugeSet;
import io.omendb.router.backend.StorageFootprint;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The router's metrics under the operations guide's exact Prometheus names.
 *
 * <p><b>Why two registries.</b> Counters and gauges live in a Dropwizard {@link MetricRegistry} exported through
 * {@link DropwizardExports} (a Dropwizard counter {@code omendb_searches} is exposed as the Prometheus counter
 * {@code omendb_searches_total}). DropwizardExports turns Dropwizard histograms and timers into summaries
 * (quantiles, no {@code _bucket} series), which {@code histogram_quantile} and our p95 alert cannot use, so the
 * two latency metrics are native Prometheus classic histograms registered in the same {@link PrometheusRegistry}.
 *
 * <p>What counts: a search is a GET of a key or a scan page; an insert is a put, delete, CAS or batch. Only
 * requests that passed input validation count; a failure is one the backend or the deadline caused (any 5xx,
 * and 409 cross_range_batch). Thread-safe: every metric is concurrent.
 */
public final class RouterMetrics {
    /** Classic bucket bounds, 0.5 ms to 30 s: dense around the 1 s p95 alert threshold. */
    static final double[] LATENCY_BUCKETS_SECONDS =
            {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30};

    private final MetricRegistry dropwizard = new MetricRegistry();
    private final PrometheusRegistry prometheus = new PrometheusRegistry();
    private final Histogram queryDuration = latencyHistogram("omendb_query_duration_seconds",
            "Latency of searches (key reads and scan pages) in seconds");
    private final Histogram insertDuration = latencyHistogram("omendb_insert_duration_seconds",
            "Latency of inserts (puts, deletes, compare-and-sets, batches) in seconds");
    private final Counter searches = dropwizard.counter("omendb_searches");
    private final Counter searchFailures = dropwizard.counter("omendb_search_failures");
    private final Counter inserts = dropwizard.counter("omendb_inserts");
    private final Counter insertFailures = dropwizard.counter("omendb_insert_failures");
    private final io.prometheus.metrics.core.metrics.Counter refusals = io.prometheus.metrics.core.metrics.Counter
            .builder().name("omendb_refusals_total").help("Requests and connections refused, by error code "
                    + "(limits, authentication, bad input, deadlines)").labelNames("reason").build();

    /**
     * @param footprint        the backend's cheap, non-blocking disk sizes (WAL and index bytes)
     * @param memoryLimitBytes the configured memory limit ({@code [limits] memory_limit_mb}), or the JVM's max heap;
     *                         compared by the memory alert with {@code omendb_memory_usage_bytes} (heap in use)
     */
    public RouterMetrics(Supplier<StorageFootprint> footprint, long memoryLimitBytes) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        gauge("omendb_memory_usage_bytes", () -> memory.getHeapMemoryUsage().getUsed());
        gauge("omendb_memory_limit_bytes", () -> memoryLimitBytes);
        gauge("omendb_wal_size_bytes", () -> footprint.get().walSizeBytes());
        gauge("omendb_index_size_bytes", () -> footprint.get().indexSizeBytes());
        dropwizard.register("jvm_memory", new MemoryUsageGaugeSet());
        dropwizard.register("jvm_gc", new GarbageCollectorMetricSet());
        dropwizard.register("jvm_threads", new ThreadStatesGaugeSet());
        DropwizardExports.builder().dropwizardRegistry(dropwizard).register(prometheus);
        prometheus.register(queryDuration);
        prometheus.register(insertDuration);
        prometheus.register(refusals);
    }

    /** Counts one refusal (an error answer or a refused connection) under its error code. */
    public void recordRefusal(String reason) {
        refusals.labelValues(reason).inc();
    }

    /** Exposes the HTTP server's open connections as {@code omendb_active_connections}; call once. */
    public void registerActiveConnections(IntSupplier activeConnections) {
        gauge("omendb_active_connections", () -> (long) activeConnections.getAsInt());
    }

    /**
     * Exposes grouping as counters: {@code omendb_group_commit_entries_total} / {@code _writes_total} (entries
     * carrying single-key writes this router proposed or forwarded to the leader's node, and the writes they carried),
     * {@code omendb_group_commit_forwards_total} / {@code _forwarded_writes_total} (those forwarded entries that the
     * leader's node took, and their writes) and {@code omendb_read_fold_messages_total} / {@code _gets_total}
     * (linearizable leader reads and the gets they carried). Summed over the nodes, (writes − forwarded writes) ÷
     * (entries − forwards) is the average number of writes per Raft entry; call once.
     */
    public void registerCoalescing(LongSupplier entries, LongSupplier writes, LongSupplier forwards,
                                   LongSupplier forwardedWrites, LongSupplier readMessages, LongSupplier gets) {
        callbackCounter("omendb_group_commit_entries", "Entries of single-key writes proposed or forwarded", entries);
        callbackCounter("omendb_group_commit_writes", "Single-key writes sent, alone or grouped", writes);
        callbackCounter("omendb_group_commit_forwards", "Entries forwarded to and taken by the leader's node",
                forwards);
        callbackCounter("omendb_group_commit_forwarded_writes", "Writes in forwarded entries", forwardedWrites);
        callbackCounter("omendb_read_fold_messages", "Linearizable leader reads that carried gets", readMessages);
        callbackCounter("omendb_read_fold_gets", "Linearizable gets sent to leaders, alone or folded", gets);
    }

    /**
     * Exposes the requests the cluster client sent again, re-routed, after a replica refused them as routed by an
     * out-of-date range table, as {@code omendb_range_reroutes_total}; call once.
     */
    public void registerRangeReroutes(LongSupplier reroutes) {
        callbackCounter("omendb_range_reroutes", "Requests re-routed after a replica refused an out-of-date route",
                reroutes);
    }

    /** Exposes the access log's lines its rate limit dropped as {@code omendb_access_log_dropped_total}; call once. */
    public void registerAccessLogDropped(LongSupplier droppedLines) {
        callbackCounter("omendb_access_log_dropped", "Access log lines dropped by access_log_lines_per_s_max",
                droppedLines);
    }

    private void callbackCounter(String name, String help, LongSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(c -> c.call(value.getAsLong()))
                .register(prometheus);
    }

    public void recordSearch(long durationNanos, boolean failed) {
        searches.inc();
        if (failed) {
            searchFailures.inc();
        }
        queryDuration.observe(durationNanos / 1e9);
    }

    public void recordInsert(long durationNanos, boolean failed) {
        inserts.inc();
        if (failed) {
            insertFailures.inc();
        }
        insertDuration.observe(durationNanos / 1e9);
    }

    /** Everything above plus JVM metrics; what {@code /metrics} serves. */
    public PrometheusRegistry prometheusRegistry() {
        return prometheus;
    }

    /** For components that add their own Dropwizard metrics (exported automatically). */
    public MetricRegistry dropwizardRegistry() {
        return dropwizard;
    }

    private void gauge(String name, Supplier<Long> value) {
        dropwizard.register(name, (Gauge<Long>) value::get);
    }

    private static Histogram latencyHistogram(String name, String help) {
        return Histogram.builder().name(name).help(help).classicOnly()
                .classicUpperBounds(LATENCY_BUCKETS_SECONDS).withoutExemplars().build();
    }
}
