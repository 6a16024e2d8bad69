package io.omendb.router.cluster;

import io.omendb.raft.ReplicaMetrics;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Per-replica Raft metrics of the nodes running in this process, read on every scrape (pull, so nothing is
 * recorded on the write path): {@code omendb_raft_leader_changes_total}, {@code omendb_raft_snapshot_installs_total}
 * (counters), {@code omendb_raft_commit_index}, {@code omendb_raft_applied_index}, {@code omendb_raft_term} and
 * {@code omendb_raft_is_leader} (gauges), {@code omendb_memtable_bytes} and {@code omendb_raft_log_cache_bytes}
 * (gauges) and
 * {@code omendb_memory_pressure_flushes_total}, {@code omendb_range_splits_total} and
 * {@code omendb_range_merges_total} (counters),
 * {@code omendb_ranges} (gauge, per node only), and with log archiving on {@code omendb_raft_archived_index},
 * {@code omendb_raft_archive_lag_entries} (gauges) and {@code omendb_raft_archive_failures_total}; each labelled {@code node} and {@code range} (the range id from the
 * router's cached range table, {@code meta} for the meta group, the group UUID for a group the table does not
 * list yet). A router without local nodes ({@code omendb router}) exports none. Thread-safe: stateless apart
 * from its suppliers.
 */
public final class RaftReplicaCollector implements MultiCollector {
    static final String META_RANGE_LABEL = "meta";

    private final Supplier<List<ReplicaMetrics>> replicas;
    private final ClusterClient client;
    private final UUID metaGroup;

    public RaftReplicaCollector(Supplier<List<ReplicaMetrics>> replicas, ClusterClient client, String database) {
        this.replicas = replicas;
        this.client = client;
        this.metaGroup = ClusterLayout.metaGroupId(database).getUuid();
    }

    @Override
    public MetricSnapshots collect() {
        List<ReplicaMetrics> all = replicas.get();
        List<ReplicaMetrics> archiving = all.stream().filter(m -> m.archive().isPresent()).toList();
        Map<UUID, String> rangeOfGroup = rangeLabels();
        return MetricSnapshots.of(
                gauge("omendb_raft_archived_index", "Highest Raft log index a range replica copied to the log "
                        + "archive", archiving, rangeOfGroup, m -> m.archive().orElseThrow().archivedIndex()),
                gauge("omendb_raft_archive_lag_entries", "Applied log entries of a range replica not in the log "
                        + "archive yet", archiving, rangeOfGroup,
                        m -> Math.max(0, m.appliedIndex() - m.archive().orElseThrow().archivedIndex())),
                counter("omendb_raft_archive_failures", "Log archiving passes of a range replica that failed",
                        archiving, rangeOfGroup, m -> m.archive().orElseThrow().failures()),
                counter("omendb_raft_leader_changes", "Leader changes a range replica observed since it opened",
                        all, rangeOfGroup, ReplicaMetrics::leaderChanges),
                counter("omendb_raft_snapshot_installs", "Snapshots a range replica installed from its leader",
                        all, rangeOfGroup, ReplicaMetrics::snapshotInstalls),
                gauge("omendb_raft_commit_index", "Highest Raft log index a range replica knows committed",
                        all, rangeOfGroup, ReplicaMetrics::commitIndex),
                gauge("omendb_raft_applied_index", "Highest Raft log index a range replica applied to its engine",
                        all, rangeOfGroup, ReplicaMetrics::appliedIndex),
                gauge("omendb_raft_term", "Current Raft term of a range replica", all, rangeOfGroup,
                        ReplicaMetrics::term),
                gauge("omendb_raft_is_leader", "1 when this replica leads its range, else 0", all, rangeOfGroup,
                        m -> "LEADER".equals(m.role()) ? 1 : 0),
                gauge("omendb_memtable_bytes", "Bytes of a range replica's memtables (applied writes not flushed "
                        + "to segments yet)", all, rangeOfGroup, ReplicaMetrics::memtableBytes),
                gauge("omendb_raft_log_cache_bytes", "Heap a range replica's Raft log holds: its open segment and "
                        + "closed segments still cached (each counted at [wal] segment_size_mb)", all, rangeOfGroup,
                        ReplicaMetrics::logCacheBytes),
                counter("omendb_memory_pressure_flushes", "Memtables of a range replica flushed early because the "
                        + "node's memtables passed their budget", all, rangeOfGroup, ReplicaMetrics::pressureFlushes),
                counter("omendb_range_splits", "Splits of a range its replica applied (as the parent) since it "
                        + "opened", all, rangeOfGroup, ReplicaMetrics::splitsApplied),
                counter("omendb_range_merges", "Merges into a range its replica applied (as the left range) since it "
                        + "opened", all, rangeOfGroup, ReplicaMetrics::mergesApplied),
                rangesPerNode(all));
    }

    /** {@code omendb_ranges}: range replicas (the meta group not counted) each node in this process hosts. */
    private GaugeSnapshot rangesPerNode(List<ReplicaMetrics> all) {
        Map<String, Long> perNode = new TreeMap<>();
        for (ReplicaMetrics m : all) {
            perNode.merge(m.nodeId(), m.groupId().equals(metaGroup) ? 0L : 1L, Long::sum);
        }
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name("omendb_ranges")
                .help("Range replicas this node hosts (the meta group not counted)");
        perNode.forEach((node, n) -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(Labels.of("node", node)).value(n).build()));
        return b.build();
    }

    private Map<UUID, String> rangeLabels() {
        Map<UUID, String> out = new HashMap<>();
        out.put(metaGroup, META_RANGE_LABEL);
        try {
            for (RangeDescriptor r : client.rangeTable().ranges()) {
                out.put(r.groupId(), Long.toString(r.rangeId()));
            }
        } catch (RuntimeException tableNotLoadedYet) {
            // labels fall back to group UUIDs until the router has read the range table
        }
        return out;
    }

    private static Labels labels(ReplicaMetrics m, Map<UUID, String> rangeOfGroup) {
        return Labels.of("node", m.nodeId(), "range", rangeOfGroup.getOrDefault(m.groupId(), m.groupId().toString()));
    }

    private static CounterSnapshot counter(String name, String help, List<ReplicaMetrics> all,
                                           Map<UUID, String> rangeOfGroup, ToDoubleFunction<ReplicaMetrics> value) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        for (ReplicaMetrics m : all) {
            b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels(m, rangeOfGroup))
                    .value(value.applyAsDouble(m)).build());
        }
        return b.build();
    }

    private static GaugeSnapshot gauge(String name, String help, List<ReplicaMetrics> all,
                                       Map<UUID, String> rangeOfGroup, ToDoubleFunction<ReplicaMetrics> value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        for (ReplicaMetrics m : all) {
            b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels(m, rangeOfGroup))
                    .value(value.applyAsDouble(m)).build());
        }
        return b.build();
    }
}
