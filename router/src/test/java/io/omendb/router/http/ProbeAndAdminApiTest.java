package io.omendb.router.http;

import static io.omendb.router.http.ApiAssertions.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ProbeAndAdminApiTest {
    @RegisterExtension
    final TestServer t = TestServer.perTest();

    @Test
    void healthReportsStatusVersionAndUptime() {
        JsonNode health = TestServer.json(t.get("/health"));
        assertEquals("ok", health.get("status").asText());
        assertEquals("dev", health.get("version").asText());
        assertTrue(health.get("uptime_seconds").asLong() >= 0);
    }

    @Test
    void readyIs503ListingRangesWithoutLeader() {
        assertEquals(200, t.get("/ready").statusCode());
        t.backend.markLeaderless(List.of(2L));
        JsonNode error = assertError(t.get("/ready"), 503, "unavailable");
        assertEquals("[2]", error.get("ranges").toString());
    }

    @Test
    void rangesListEveryRangeWithPercentEncodedBounds() {
        t.send("PUT", "/v1/kv/h", "12345");
        JsonNode ranges = TestServer.json(t.get("/admin/ranges")).get("ranges");
        assertEquals(3, ranges.size());
        JsonNode second = ranges.get(1);
        assertEquals(2, second.get("id").asLong());
        assertEquals("g", second.get("start").asText());
        assertEquals("p", second.get("end").asText());
        assertEquals("n1", second.get("leader").asText());
        assertEquals(3, second.get("peers").size());
        assertEquals(1, second.get("keys").asLong());
        assertEquals(6, second.get("bytes").asLong());
        assertTrue(second.has("applied_index"));
        assertTrue(ranges.get(2).get("end").isNull());
    }

    @Test
    void indexStatsPerRange() {
        JsonNode first = TestServer.json(t.get("/admin/index-stats")).get("ranges").get(0);
        for (String field : List.of("range", "segments", "leaves", "mean_model_error", "max_model_error",
                "model_bytes", "bytes_per_record")) {
            assertTrue(first.has(field), field);
        }
    }

    @Test
    void retrainAndRebuildAreScheduledWith202() {
        var all = t.send("POST", "/admin/retrain-index", "");
        assertEquals(202, all.statusCode());
        assertEquals("{\"scheduled\":\"retrain\",\"ranges\":[1,2,3]}", TestServer.text(all));
        var one = t.send("POST", "/admin/rebuild-index?range=2", "");
        assertEquals(202, one.statusCode());
        assertEquals("{\"scheduled\":\"rebuild\",\"ranges\":[2]}", TestServer.text(one));
        assertError(t.send("POST", "/admin/rebuild-index?range=9", ""), 404, "unknown_range");
        assertError(t.send("POST", "/admin/rebuild-index?range=x", ""), 400, "bad_range");
        assertError(t.send("POST", "/admin/rebuild-index?range=-1", ""), 400, "bad_range");
        assertError(t.get("/admin/rebuild-index"), 405, "method_not_allowed");
    }

    @Test
    void transferLeaderChecksRangeAndNode() {
        var moved = t.send("POST", "/admin/transfer-leader?range=2&to=n3", "");
        assertEquals(200, moved.statusCode());
        assertEquals("{\"range\":2,\"leader\":\"n3\"}", TestServer.text(moved));
        assertError(t.send("POST", "/admin/transfer-leader?range=9&to=n3", ""), 404, "unknown_range");
        assertError(t.send("POST", "/admin/transfer-leader?range=2&to=n7", ""), 404, "unknown_node");
        assertError(t.send("POST", "/admin/transfer-leader?to=n3", ""), 400, "bad_range");
        assertError(t.send("POST", "/admin/transfer-leader?range=2", ""), 400, "bad_node");
        assertError(t.send("POST", "/admin/transfer-leader?range=2&to=n3&x=1", ""), 400, "unknown_parameter");
    }

    @Test
    void nodesListsEveryMemberWithItsStateAndCounts() {
        var nodes = t.send("GET", "/admin/nodes", "");
        assertEquals(200, nodes.statusCode());
        assertEquals("{\"nodes\":[{\"id\":\"n1\",\"raft_address\":\"n1:4000\",\"http_address\":null,"
                + "\"zone\":\"zone-n1\",\"state\":\"live\",\"incarnation\":\"0000000000000011\",\"replicas\":3,"
                + "\"leaders\":3,\"bytes\":12288},{\"id\":\"n2\",\"raft_address\":\"n2:4000\",\"http_address\":null,"
                + "\"zone\":\"zone-n2\",\"state\":\"live\",\"incarnation\":\"0000000000000021\",\"replicas\":3,"
                + "\"leaders\":0,\"bytes\":12288},{\"id\":\"n3\",\"raft_address\":\"n3:4000\",\"http_address\":null,"
                + "\"zone\":\"zone-n3\",\"state\":\"live\",\"incarnation\":\"0000000000000031\",\"replicas\":3,"
                + "\"leaders\":0,\"bytes\":12288}]}", TestServer.text(nodes));
    }

    @Test
    void decommissionChecksTheNodeAndReportsARefusal() {
        assertError(t.send("POST", "/admin/decommission?node=n2", ""), 409, "decommission_refused");
        assertError(t.send("POST", "/admin/decommission?node=n7", ""), 404, "unknown_node");
        assertError(t.send("POST", "/admin/decommission", ""), 400, "bad_node");
        assertError(t.send("POST", "/admin/decommission?node=n2&x=1", ""), 400, "unknown_parameter");
    }
}
