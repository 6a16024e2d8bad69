package io.omendb.router.cluster;

import io.omendb.raft.PlacementMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.List;
import java.util.function.Supplier;

/**
 * The placement driver's readings of the nodes in this process, read on every scrape: {@code
 * omendb_ranges_under_replicated} and {@code omendb_placement_moves_in_flight} (gauges) and {@code
 * omendb_placement_moves_total} (counter), labelled {@code node}. Only the node leading the meta group runs the driver,
 * so only it exports them (each series moves with the meta leadership; alert on {@code max} over the cluster). A
 * router without local nodes exports none. Thread-safe: stateless apart from its supplier.
 */
public final class PlacementCollector implements MultiCollector {
    private final Supplier<List<PlacementMetrics>> readings;

    public PlacementCollector(Supplier<List<PlacementMetrics>> readings) {
        this.readings = readings;
    }

    @Override
    public MetricSnapshots collect() {
        List<PlacementMetrics> all = readings.get();
        GaugeSnapshot.Builder under = GaugeSnapshot.builder().name("omendb_ranges_under_replicated")
                .help("Ranges with fewer than replication_factor replicas on live nodes (a replica on a draining, "
                        + "unanswering or removed node, or one still being copied, does not count)");
        GaugeSnapshot.Builder inFlight = GaugeSnapshot.builder().name("omendb_placement_moves_in_flight")
                .help("Replica moves the placement driver started and has not finished");
        CounterSnapshot.Builder done = CounterSnapshot.builder().name("omendb_placement_moves")
                .help("Replica moves the placement driver of this node finished");
        for (PlacementMetrics m : all) {
            Labels node = Labels.of("node", m.nodeId());
            under.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(node)
                    .value(m.rangesUnderReplicated()).build());
            inFlight.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(node).value(m.movesInFlight())
                    .build());
            done.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(node).value(m.movesCompleted())
                    .build());
        }
        return MetricSnapshots.of(under.build(), inFlight.build(), done.build());
    }
}
