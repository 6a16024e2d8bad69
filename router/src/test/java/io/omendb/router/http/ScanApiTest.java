package io.omendb.router.http;

import static io.omendb.router.http.ApiAssertions.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ScanApiTest {
    @RegisterExtension
    final TestServer t = TestServer.perTest();
    private final List<String> keys = new ArrayList<>();

    @BeforeEach
    void seed() {
        // spread over the three ranges [.., g) [g, p) [p, ..), in key order
        for (char c = 'a'; c <= 'z'; c++) {
            for (int i = 0; i < 3; i++) {
                String key = "" + c + i;
                keys.add(key);
                t.send("PUT", "/v1/kv/" + key, "v-" + key);
            }
        }
    }

    /** Every key the scan returns, following cursors; each page must hold at most {@code limit} items. */
    private List<String> scanAll(String query, int limit) {
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            String url = "/v1/scan?limit=" + limit + query + (cursor == null ? "" : "&cursor=" + cursor);
            JsonNode page = TestServer.json(t.get(url));
            assertTrue(page.get("items").size() <= limit);
            for (JsonNode item : page.get("items")) {
                seen.add(item.get("key").asText());
                assertEquals("v-" + item.get("key").asText(), item.get("value").asText());
            }
            cursor = page.get("cursor").isNull() ? null : page.get("cursor").asText();
            assertTrue(++pages < 1000, "scan must end");
        } while (cursor != null);
        return seen;
    }

    @Test
    void pagesWalkEveryRangeInOrderWithoutDuplicates() {
        assertEquals(keys, scanAll("", 7));
        assertEquals(keys, scanAll("", 1));
        assertEquals(keys, scanAll("", 10_000));
    }

    @Test
    void boundsAreStartInclusiveEndExclusiveAcrossRanges() {
        List<String> expected = keys.stream().filter(k -> k.compareTo("c1") >= 0 && k.compareTo("q0") < 0).toList();
        assertEquals(expected, scanAll("&start=c1&end=q0", 4));
        assertEquals(List.of(), scanAll("&start=q0&end=c1", 4));
    }

    @Test
    void defaultLimitFillsPagesAcrossRangeBoundaries() {
        JsonNode page = TestServer.json(t.get("/v1/scan"));
        assertEquals(keys.size(), page.get("items").size());
        assertTrue(page.get("cursor").isNull());
        JsonNode short5 = TestServer.json(t.get("/v1/scan?start=f0&limit=5"));
        assertEquals(5, short5.get("items").size(), "a page continues past the range boundary at g");
    }

    @Test
    void base64EncodingAppliesToScannedKeysAndValues() {
        JsonNode page = TestServer.json(t.get("/v1/scan?start=a0&end=a1&encoding=base64"));
        assertEquals("YTA=", page.get("items").get(0).get("key").asText());
        assertEquals("di1hMA==", page.get("items").get(0).get("value").asText());
    }

    @Test
    void badLimitsAndCursorsAreRefused() {
        int callsBefore = t.backend.calls();
        assertError(t.get("/v1/scan?limit=0"), 400, "bad_limit");
        assertError(t.get("/v1/scan?limit=10001"), 400, "bad_limit");
        assertError(t.get("/v1/scan?limit=ten"), 400, "bad_limit");
        assertError(t.get("/v1/scan?cursor=***"), 400, "bad_cursor");
        // a cursor before start (base64url of "a0") is outside the requested interval
        assertError(t.get("/v1/scan?start=b0&cursor=YTA"), 400, "bad_cursor");
        assertError(t.get("/v1/scan?start=" + "k".repeat(4097)), 413, "key_too_large");
        assertError(t.get("/v1/scan?begin=a"), 400, "unknown_parameter");
        assertEquals(callsBefore, t.backend.calls());
    }
}
