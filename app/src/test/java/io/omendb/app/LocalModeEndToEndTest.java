package io.omendb.app;

import static io.omendb.app.LocalProcess.body;
import static io.omendb.app.LocalProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code omendb local --nodes 3 --ranges 4} as a separate process (real Ratis, real disk), driven over HTTP:
 * key-value, CAS, a scan across ranges with cursor paging, single- and cross-range batches, bad input that must
 * leave the store unchanged, admin views and metrics; then SIGTERM must stop it with exit code 0 and a restart
 * on the same data dir must still hold the data. Split points for 4 ranges are "g", "n", "t". Authentication is
 * on: the first start prints the generated admin password once, and every call but the probes uses it.
 */
class LocalModeEndToEndTest {
    @TempDir
    Path tmp;
    private LocalProcess local;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void localClusterServesTheApiStopsCleanlyAndKeepsDataAcrossRestart() throws Exception {
        LocalProcess first = LocalProcess.start(tmp.resolve("data"), tmp.resolve("first.log"));
        try {
            local = first;
            exerciseApi();
            first.stopAndExpectCleanExit();
        } finally {
            first.close();
        }

        LocalProcess second = first.restart(tmp.resolve("second.log"));
        try {
            local = second;
            assertFalse(second.logText().contains("password"), "the password is printed on the first start only");
            assertEquals("v-zebra", body(send("GET", "/v1/kv/zebra", null)));
            assertEquals(404, send("GET", "/v1/kv/apple", null).statusCode(), "deleted before the restart");
            assertEquals(List.of("b1", "b2", "h1", "o1", "u1", "zebra"), local.scanAll(2));
            second.stopAndExpectCleanExit();
        } finally {
            second.close();
        }
    }

    private void exerciseApi() throws Exception {
        // without credentials: 401 with a challenge (the probes stay open, see awaitReady)
        HttpResponse<byte[]> anonymous = local.sendAnonymous("GET", "/v1/kv/apple");
        assertEquals(401, anonymous.statusCode(), body(anonymous));
        assertTrue(anonymous.headers().firstValue("www-authenticate").isPresent());

        // put / get / delete
        HttpResponse<byte[]> put = send("PUT", "/v1/kv/apple", "v-apple");
        assertEquals(200, put.statusCode(), body(put));
        assertTrue(json(put).get("revision").asLong() > 0);
        assertEquals("v-apple", body(send("GET", "/v1/kv/apple", null)));
        assertEquals(200, send("PUT", "/v1/kv/zebra", "v-zebra").statusCode());
        JsonNode deleted = json(send("DELETE", "/v1/kv/apple", null));
        assertTrue(deleted.get("deleted").asBoolean());
        assertEquals(404, send("GET", "/v1/kv/apple", null).statusCode());
        assertFalse(json(send("DELETE", "/v1/kv/apple", null)).get("deleted").asBoolean());

        // compare-and-set: success, then failure reporting the current value
        JsonNode won = json(send("POST", "/v1/cas/cas-key", "{\"expected\":null,\"value\":\"one\"}"));
        assertTrue(won.get("succeeded").asBoolean(), won.toString());
        JsonNode lost = json(send("POST", "/v1/cas/cas-key", "{\"expected\":\"nope\",\"value\":\"two\"}"));
        assertFalse(lost.get("succeeded").asBoolean(), lost.toString());
        assertEquals("one", lost.get("current").asText());
        assertEquals(200, send("DELETE", "/v1/kv/cas-key", null).statusCode());

        // batches: one range (range 1: keys < "g") commits; across ranges is refused naming the ranges
        HttpResponse<byte[]> batch = send("POST", "/v1/batch",
                "{\"ops\":[{\"op\":\"put\",\"key\":\"b1\",\"value\":\"x\"},{\"op\":\"put\",\"key\":\"b2\",\"value\":\"y\"}]}");
        assertEquals(200, batch.statusCode(), body(batch));
        HttpResponse<byte[]> cross = send("POST", "/v1/batch",
                "{\"ops\":[{\"op\":\"put\",\"key\":\"c1\",\"value\":\"x\"},{\"op\":\"put\",\"key\":\"x1\",\"value\":\"y\"}]}");
        assertEquals(409, cross.statusCode(), body(cross));
        assertEquals("cross_range_batch", json(cross).get("error").asText());
        assertEquals(404, send("GET", "/v1/kv/c1", null).statusCode(), "a refused batch writes nothing");

        // one key in each of the other ranges, then a scan across all of them, 2 per page
        for (String k : List.of("h1", "o1", "u1")) {
            assertEquals(200, send("PUT", "/v1/kv/" + k, "v-" + k).statusCode());
        }
        assertEquals(List.of("b1", "b2", "h1", "o1", "u1", "zebra"), local.scanAll(2));

        // bad input: 400 and an unchanged store
        assertEquals(400, send("POST", "/v1/batch", "{\"ops\":[{\"op\":\"put\",\"key\":\"bad1\",\"value\":\"x\"},"
                + "{\"op\":\"frobnicate\",\"key\":\"bad2\"}]}").statusCode());
        assertEquals(400, send("POST", "/v1/cas/bad3", "{not json").statusCode());
        assertEquals(400, send("GET", "/v1/scan?limit=0", null).statusCode());
        assertEquals(400, send("PUT", "/v1/kv/bad4?encoding=base64", "!!not base64!!").statusCode());
        for (String k : List.of("bad1", "bad2", "bad3", "bad4")) {
            assertEquals(404, send("GET", "/v1/kv/" + k, null).statusCode(), k);
        }
        assertEquals(List.of("b1", "b2", "h1", "o1", "u1", "zebra"), local.scanAll(1000));

        // admin views
        JsonNode ranges = json(send("GET", "/admin/ranges", null)).get("ranges");
        assertEquals(4, ranges.size(), ranges.toString());
        assertEquals(3, ranges.get(0).get("peers").size());
        assertEquals(4, json(send("GET", "/admin/index-stats", null)).get("ranges").size());

        // metrics
        HttpResponse<byte[]> metrics = local.metrics();
        assertEquals(200, metrics.statusCode());
        assertTrue(body(metrics).contains("omendb_inserts_total"), "metrics lack omendb_inserts_total");
        double entries = sample(body(metrics), "omendb_group_commit_entries_total");
        double writes = sample(body(metrics), "omendb_group_commit_writes_total");
        assertTrue(entries > 0 && writes >= entries, "group commit counters: " + entries + " entries, " + writes
                + " writes");
        assertTrue(sample(body(metrics), "omendb_read_fold_gets_total") > 0, "read folding counter");
    }

    /** The value of an unlabelled sample in a Prometheus text exposition. */
    private static double sample(String exposition, String name) {
        return exposition.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(
                l.substring(name.length() + 1).trim())).findFirst().orElseThrow(() -> new AssertionError(
                "no sample " + name + " in\n" + exposition));
    }

    private HttpResponse<byte[]> send(String method, String pathAndQuery, String bodyOrNull) throws Exception {
        return local.send(method, pathAndQuery, bodyOrNull);
    }
}
