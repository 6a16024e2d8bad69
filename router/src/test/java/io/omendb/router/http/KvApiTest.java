package io.omendb.router.http;

import static io.omendb.router.http.ApiAssertions.assertError;
import static io.omendb.router.http.ApiAssertions.assertRawError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KvApiTest {
    @RegisterExtension
    final TestServer t = TestServer.perTest();

    @Test
    void putGetDeleteRoundTripWithIncreasingRevisions() {
        JsonNode put1 = TestServer.json(t.send("PUT", "/v1/kv/alpha", "one"));
        JsonNode put2 = TestServer.json(t.send("PUT", "/v1/kv/alpha", "two"));
        assertTrue(put2.get("revision").asLong() > put1.get("revision").asLong());

        HttpResponse<byte[]> got = t.get("/v1/kv/alpha");
        assertEquals(200, got.statusCode());
        assertEquals("two", TestServer.text(got));
        assertEquals("application/octet-stream", got.headers().firstValue("content-type").orElseThrow());
        assertEquals(put2.get("revision").asText(), got.headers().firstValue(KvEndpoints.REVISION_HEADER).orElseThrow());

        JsonNode deleted = TestServer.json(t.send("DELETE", "/v1/kv/alpha", (byte[]) null));
        assertTrue(deleted.get("deleted").asBoolean());
        assertTrue(deleted.get("revision").asLong() > put2.get("revision").asLong());
        JsonNode again = TestServer.json(t.send("DELETE", "/v1/kv/alpha", (byte[]) null));
        assertFalse(again.get("deleted").asBoolean());
        assertError(t.get("/v1/kv/alpha"), 404, "not_found");
    }

    @Test
    void staleReadIsAcceptedAndBadConsistencyRefused() {
        t.send("PUT", "/v1/kv/k", "v");
        assertEquals("v", TestServer.text(t.get("/v1/kv/k?consistency=stale")));
        assertEquals("v", TestServer.text(t.get("/v1/kv/k?consistency=linearizable")));
        assertError(t.get("/v1/kv/k?consistency=eventual"), 400, "bad_consistency");
    }

    @Test
    void percentEncodedKeysCarryArbitraryBytes() {
        byte[] key = {0x00, (byte) 0xFF, '/', ' ', '%', '+'};
        t.send("PUT", "/v1/kv/%00%ff%2F%20%25%2B", "binary");
        assertEquals("binary", TestServer.text(t.get("/v1/kv/%00%FF%2f%20%25%2B")));
        assertEquals(1, t.backend.snapshotAsStrings().size());
        assertTrue(t.backend.snapshotAsStrings().containsKey(Arrays.toString(key)));
        // a literal '+' is a plus, not a space; a raw '/' is part of the key
        t.send("PUT", "/v1/kv/a+b/c", "plus");
        assertEquals("plus", TestServer.text(t.get("/v1/kv/a%2Bb%2Fc")));
    }

    @Test
    void binaryValuesRoundTripByteForByte() {
        byte[] value = new byte[256];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        t.send("PUT", "/v1/kv/bin", value);
        assertArrayEquals(value, t.get("/v1/kv/bin").body());
    }

    @Test
    void badPercentEncodingIsRefusedBeforeTheBackend() {
        assertRawError(t.raw("GET", "/v1/kv/%zz"), 400, "bad_percent_encoding");
        assertRawError(t.raw("PUT", "/v1/kv/abc%4"), 400, "bad_percent_encoding");
        assertRawError(t.raw("PUT", "/v1/kv/%"), 400, "bad_percent_encoding");
        assertRawError(t.raw("GET", "/v1/scan?start=%g0"), 400, "bad_percent_encoding");
        assertEquals(0, t.backend.calls());
    }

    @Test
    void emptyAndOversizedKeysAndValuesAreRefused() {
        assertError(t.send("PUT", "/v1/kv/", "v"), 400, "empty_key");
        assertError(t.send("PUT", "/v1/kv/" + "k".repeat(4097), "v"), 413, "key_too_large");
        assertEquals(200, t.send("PUT", "/v1/kv/" + "k".repeat(4096), "v").statusCode());
        assertError(t.send("PUT", "/v1/kv/big", new byte[64 * 1024 + 1]), 413, "value_too_large");
        assertEquals(1, t.backend.calls());
    }

    @Test
    void unknownRoutesMethodsAndParametersAreRefused() {
        assertError(t.get("/v2/kv/a"), 404, "unknown_route");
        assertError(t.get("/v1/kv"), 404, "unknown_route");
        HttpResponse<byte[]> wrongMethod = t.send("PATCH", "/v1/kv/a", "x");
        assertError(wrongMethod, 405, "method_not_allowed");
        assertEquals("DELETE, GET, PUT", wrongMethod.headers().firstValue("allow").orElseThrow());
        assertError(t.send("POST", "/health", ""), 405, "method_not_allowed");
        assertError(t.get("/v1/kv/a?limit=3"), 400, "unknown_parameter");
        assertError(t.get("/v1/kv/a?consistency=stale&consistency=stale"), 400, "duplicate_parameter");
        assertEquals(0, t.backend.calls());
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() {
        for (int i = 0; i < 50; i++) {
            assertEquals(200, t.send("PUT", "/v1/kv/k" + i, "v" + i).statusCode());
        }
        assertEquals("v49", TestServer.text(t.get("/v1/kv/k49")));
    }
}
