package io.omendb.router.http;

import static io.omendb.router.http.ApiAssertions.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BatchApiTest {
    @RegisterExtension
    final TestServer t = TestServer.perTest();

    @Test
    void singleRangeBatchAppliesAtomicallyWithOneRevision() {
        t.send("PUT", "/v1/kv/h2", "old");
        JsonNode done = TestServer.json(t.send("POST", "/v1/batch", "{\"ops\": [{\"op\": \"put\", \"key\": \"h1\","
                + " \"value\": \"x\"}, {\"op\": \"delete\", \"key\": \"h2\"}, {\"op\": \"put\", \"key\": \"i\", \"value\": \"y\"}]}"));
        assertTrue(done.get("revision").asLong() > 0);
        assertEquals("x", TestServer.text(t.get("/v1/kv/h1")));
        assertEquals("y", TestServer.text(t.get("/v1/kv/i")));
        assertError(t.get("/v1/kv/h2"), 404, "not_found");
    }

    @Test
    void base64BatchKeysAndValues() {
        // key 0x00 0xFF, value "hi"
        assertEquals(200, t.send("POST", "/v1/batch?encoding=base64",
                "{\"ops\": [{\"op\": \"put\", \"key\": \"AP8=\", \"value\": \"aGk=\"}]}").statusCode());
        assertEquals("hi", TestServer.text(t.get("/v1/kv/%00%FF")));
    }

    @Test
    void crossRangeBatchIsRefusedNamingTheRangesAndChangesNothing() {
        Map<String, String> before = t.backend.snapshotAsStrings();
        JsonNode error = assertError(t.send("POST", "/v1/batch", "{\"ops\": [{\"op\": \"put\", \"key\": \"a\","
                + " \"value\": \"x\"}, {\"op\": \"put\", \"key\": \"z\", \"value\": \"y\"}]}"), 409, "cross_range_batch");
        assertEquals("[1,3]", error.get("ranges").toString());
        assertEquals("[\"g\",\"p\"]", error.get("boundaries").toString(), "the boundaries the batch crosses");
        assertTrue(error.get("message").asText().contains("[1, 3], cut at [g, p]"), error.get("message").asText());
        assertEquals(before, t.backend.snapshotAsStrings());
    }

    @Test
    void invalidBatchesNeverReachTheBackend() {
        assertError(t.send("POST", "/v1/batch", "{\"ops\": []}"), 400, "empty_batch");
        assertError(t.send("POST", "/v1/batch", "{\"ops\": {}}"), 400, "bad_field");
        assertError(t.send("POST", "/v1/batch", "{}"), 400, "missing_field");
        assertError(t.send("POST", "/v1/batch", "{\"ops\": [{\"op\": \"upsert\", \"key\": \"a\"}]}"), 400,
                "unknown_op");
        assertError(t.send("POST", "/v1/batch", "{\"ops\": [{\"op\": \"put\", \"key\": \"a\"}]}"), 400,
                "missing_field");
        assertError(t.send("POST", "/v1/batch", "{\"ops\": [{\"op\": \"delete\", \"key\": \"a\", \"value\": \"v\"}]}"),
                400, "unknown_field");
        assertError(t.send("POST", "/v1/batch", "{\"ops\": [{\"op\": \"put\", \"key\": \"\", \"value\": \"v\"}]}"),
                400, "empty_key");
        assertError(t.send("POST", "/v1/batch", "{\"ops\": [\"put\"]}"), 400, "bad_json");
        assertError(t.send("POST", "/v1/batch?encoding=base64",
                "{\"ops\": [{\"op\": \"put\", \"key\": \"a\", \"value\": \"%%%\"}]}"), 400, "bad_base64");
        StringBuilder tooMany = new StringBuilder("{\"ops\": [");
        for (int i = 0; i <= 100; i++) {
            tooMany.append(i == 0 ? "" : ",").append("{\"op\": \"delete\", \"key\": \"k").append(i).append("\"}");
        }
        assertError(t.send("POST", "/v1/batch", tooMany.append("]}").toString()), 413, "batch_too_large");
        assertEquals(0, t.backend.calls());
    }
}
