package io.omendb.router.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.raft.ReplicaMetrics;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.config.ConfigLoader;
import io.omendb.raft.meta.ClusterLayout;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Archive metrics appear for replicas that archive, and the exposition stays valid for those that do not; memtable
 * bytes and memory-pressure flushes appear for every replica.
 */
class RaftReplicaCollectorTest {
    @Test
    void archiveMetricsOnlyForArchivingReplicas() throws Exception {
        UUID meta = ClusterLayout.metaGroupId("omendb").getUuid();
        UUID other = UUID.fromString("00000000-0000-0000-0000-000000000001");
        List<ReplicaMetrics> replicas = List.of(
                new ReplicaMetrics(meta, "n1", "LEADER", 3, 120, 118, 1, 0, 0, 0, 0, 0, 0,
                        Optional.of(new ReplicaMetrics.Archive(100, 2, 0))),
                new ReplicaMetrics(other, "n1", "FOLLOWER", 3, 50, 50, 0, 0, 4096, 2, 8192, 0, 3,
                        Optional.empty()));
        try (ClusterClient client = ClusterClient.connect(ClientOptions.from(ConfigLoader.defaults()))) {
            PrometheusRegistry registry = new PrometheusRegistry();
            registry.register(new RaftReplicaCollector(() -> replicas, client, "omendb"));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
            String text = out.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("omendb_raft_archived_index{node=\"n1\",range=\"meta\"} 100.0"), text);
            assertTrue(text.contains("omendb_raft_archive_lag_entries{node=\"n1\",range=\"meta\"} 18.0"), text);
            assertTrue(text.contains("omendb_raft_archive_failures_total{node=\"n1\",range=\"meta\"} 2.0"), text);
            assertFalse(text.contains("omendb_raft_archived_index{node=\"n1\",range=\"" + other), text);
            assertTrue(text.contains("omendb_raft_applied_index{node=\"n1\",range=\"" + other + "\"} 50.0"), text);
            assertTrue(text.contains("omendb_memtable_bytes{node=\"n1\",range=\"" + other + "\"} 4096.0"), text);
            assertTrue(text.contains("omendb_raft_log_cache_bytes{node=\"n1\",range=\"" + other + "\"} 8192.0"),
                    text);
            assertTrue(text.contains("omendb_memory_pressure_flushes_total{node=\"n1\",range=\"" + other + "\"} 2.0"),
                    text);
            assertTrue(text.contains("omendb_range_merges_total{node=\"n1\",range=\"" + other + "\"} 3.0"), text);
        }
    }
}
