package io.omendb.app;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static io.omendb.app.LocalProcess.body;
import static io.omendb.app.LocalProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A decommission as an operator runs it, against {@code omendb local --nodes 4} (replication factor 3) in its own JVM:
 * {@code omendb admin decommission n1} is refused (a meta group peer; exit 1, {@code decommission_refused});
 * {@code omendb admin decommission n4} starts the drain while a writer keeps writing to every range through the HTTP
 * API; {@code GET /admin/nodes} shows n4 {@code removed} with no replica or leader; {@code /admin/ranges} names n4
 * nowhere and gives every range three peers; every acknowledged write reads back; {@code omendb admin nodes} prints
 * the same; and the meta leader exports {@code omendb_ranges_under_replicated} 0.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class DecommissionEndToEndTest {
    /** How long the drain of n4's three replicas may take on a loaded 2-core machine. */
    static final long DRAIN_WAIT_S = 180;
    /** How long the meta leader may take to publish its next placement reading (every 10 s). */
    static final long METRIC_WAIT_S = 60;
    private static final Pattern NONE_UNDER_REPLICATED =
            Pattern.compile("omendb_ranges_under_replicated\\{node=\"n[1-3]\"} 0\\.0");

    @TempDir
    Path tmp;

    @Test
    void adminDecommissionDrainsANodeUnderWrites() throws Exception {
        Map<String, String> acked = new ConcurrentHashMap<>();
        AtomicInteger unacknowledged = new AtomicInteger();
        try (LocalProcess local = LocalProcess.start(tmp.resolve("data"), tmp.resolve("local.log"), 4)) {
            LocalProcess.CliRun metaPeer = local.admin(tmp, "decommission", "n1");
            assertEquals(1, metaPeer.exitCode(), metaPeer.toString());
            assertTrue(metaPeer.stderr().contains("decommission_refused"), metaPeer.toString());

            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = local.writer("decommission-e2e-writer", acked, unacknowledged, stop);
            writer.start();
            try {
                LocalProcess.CliRun drain = local.admin(tmp, "decommission", "n4");
                assertEquals(0, drain.exitCode(), drain.toString());
                assertEquals("draining", LocalProcess.JSON.readTree(drain.stdout()).get("state").asText());
                JsonNode n4 = awaitRemoved(local);
                assertEquals(0, n4.get("replicas").asInt(), n4.toString());
                assertEquals(0, n4.get("leaders").asInt(), n4.toString());
            } finally {
                stop.set(true);
                writer.join();
            }

            JsonNode ranges = json(local.send("GET", "/admin/ranges", (String) null)).get("ranges");
            for (JsonNode r : ranges) {
                assertEquals(3, r.get("peers").size(), r.toString());
                r.get("peers").forEach(p -> assertFalse(p.asText().equals("n4"), r.toString()));
            }
            assertTrue(acked.size() > 0, "the writer wrote during the drain");
            for (Map.Entry<String, String> e : acked.entrySet()) {
                HttpResponse<byte[]> r = local.send("GET", "/v1/kv/" + e.getKey(), (String) null);
                assertEquals(200, r.statusCode(), "acknowledged write lost: " + e.getKey());
                assertEquals(e.getValue(), body(r), e.getKey());
            }
            LocalProcess.CliRun nodes = local.admin(tmp, "nodes");
            assertEquals(0, nodes.exitCode(), nodes.toString());
            assertEquals("removed", LocalProcess.JSON.readTree(nodes.stdout()).get("nodes").get(3).get("state")
                    .asText(), nodes.stdout());
            awaitMetric(local);
            System.out.println("decommission e2e: " + acked.size() + " acknowledged writes, " + unacknowledged.get()
                    + " not acknowledged, " + local.retries.get() + " retried");
            local.stopAndExpectCleanExit();
        }
    }

    private static JsonNode awaitRemoved(LocalProcess local) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_WAIT_S);
        JsonNode n4 = null;
        while (System.nanoTime() < deadline) {
            n4 = json(local.send("GET", "/admin/nodes", (String) null)).get("nodes").get(3);
            assertEquals("n4", n4.get("id").asText());
            if (n4.get("state").asText().equals("removed")) {
                return n4;
            }
            Thread.sleep(500);
        }
        return fail("n4 was not drained within " + DRAIN_WAIT_S + " s: " + n4);
    }

    private static void awaitMetric(LocalProcess local) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(METRIC_WAIT_S);
        String metrics = "";
        while (System.nanoTime() < deadline) {
            metrics = body(local.metrics());
            if (NONE_UNDER_REPLICATED.matcher(metrics).find()) {
                return;
            }
            Thread.sleep(500);
        }
        fail("no omendb_ranges_under_replicated 0 from the meta leader within " + METRIC_WAIT_S + " s:\n"
                + metrics.lines().filter(l -> l.contains("under_replicated")).toList());
    }
}
