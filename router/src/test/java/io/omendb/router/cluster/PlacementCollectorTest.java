package io.omendb.router.cluster;

import io.omendb.raft.PlacementMetrics;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The meta leader's placement reading is exported labelled with its node; without one, no series at all. */
class PlacementCollectorTest {
    @Test
    void onlyTheNodeRunningTheDriverExportsItsReading() throws Exception {
        List<PlacementMetrics> readings = new ArrayList<>(List.of(new PlacementMetrics("n2", 3, 2, 7)));
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new PlacementCollector(() -> readings));
        String text = scrape(registry);
        assertTrue(text.contains("omendb_ranges_under_replicated{node=\"n2\"} 3.0"), text);
        assertTrue(text.contains("omendb_placement_moves_in_flight{node=\"n2\"} 2.0"), text);
        assertTrue(text.contains("omendb_placement_moves_total{node=\"n2\"} 7.0"), text);

        readings.clear(); // n2 no longer leads the meta group
        String none = scrape(registry);
        assertFalse(none.contains("omendb_ranges_under_replicated{"), none);
    }

    private static String scrape(PrometheusRegistry registry) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }
}
