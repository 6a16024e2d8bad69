package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.omendb.config.ConfigException;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A configuration value never turns a good request into a 5xx: every {@code [limits]}, {@code [http]} and
 * {@code [performance]} setting the router's HTTP layer reads, set to the smallest value {@code omendb.toml} accepts
 * (one less is refused, naming the key), alone and all at once, serves every documented good request of
 * docs/API.md with its documented status. The settings reach the server as the router maps them (options, guards,
 * and the backend's scan limit as the cluster client enforces {@code max_scan_limit}).
 */
class MinimumLimitsApiTest {
    /** Every setting the HTTP layer reads, with the smallest value ConfigLoader accepts. */
    private static final Map<String, Long> MINIMUMS = new LinkedHashMap<>();
    private static final String ALL = "all of them at once";

    static {
        MINIMUMS.put("limits.max_key_size_bytes", 1L);
        MINIMUMS.put("limits.max_value_size_bytes", 0L);
        MINIMUMS.put("limits.max_insert_batch_size", 1L);
        MINIMUMS.put("limits.max_query_duration_ms", 100L);
        MINIMUMS.put("limits.memory_limit_mb", 256L);
        MINIMUMS.put("limits.max_scan_limit", 1L);
        MINIMUMS.put("limits.request_read_timeout_ms", 1000L);
        MINIMUMS.put("http.max_connections", 1L);
        MINIMUMS.put("performance.max_concurrent_requests", 1L);
    }

    static Stream<String> settings() {
        return Stream.concat(MINIMUMS.keySet().stream(), Stream.of(ALL));
    }

    @ParameterizedTest
    @MethodSource("settings")
    void smallestAllowedValueServesEveryDocumentedGoodRequest(String setting) throws Exception {
        if (!setting.equals(ALL)) {
            ConfigException refused = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                    toml(Map.of(setting, MINIMUMS.get(setting) - 1)), Map.of()), "below the minimum");
            assertTrue(refused.getMessage().contains(setting), refused.getMessage());
        }
        Map<String, Long> chosen = setting.equals(ALL) ? MINIMUMS : Map.of(setting, MINIMUMS.get(setting));
        OmenConfig config = ConfigLoader.parse(toml(chosen), Map.of());
        try (TestServer t = serverFor(config)) {
            sendGoodRequests(t, config.limits());
        }
    }

    /** The server as the router builds it from {@code config}, on loopback and a free port. */
    private static TestServer serverFor(OmenConfig config) throws InterruptedException {
        OmenConfig.Limits l = config.limits();
        HttpServerOptions options = HttpServerOptions.from(config).at("127.0.0.1", 0);
        ServerGuards guards = ServerGuards.open().withRequestReadTimeoutMs(l.requestReadTimeoutMs())
                .withWritesAdmitted(MemoryLimit.ofHeap(l.memoryLimitMb() << 20));
        return TestServer.builder().options(options).guards(guards).scanLimitMax(l.maxScanLimit()).start();
    }

    /** docs/API.md's requests, with keys and values within the limits; one client connection, one at a time. */
    private static void sendGoodRequests(TestServer t, OmenConfig.Limits limits) {
        String value = "v".repeat(Math.min(1, limits.maxValueSizeBytes()));
        List<String> keys = List.of("a", "b", "h", "q");
        for (String key : keys) {
            expect(t.send("PUT", "/v1/kv/" + key, value), 200);
        }
        assertEquals(value, TestServer.text(expect(t.get("/v1/kv/h"), 200)));
        expect(t.get("/v1/kv/h?consistency=stale"), 200);
        expect(t.get("/v1/kv/m"), 404);
        JsonNode cas = TestServer.json(expect(t.send("POST", "/v1/cas/c",
                "{\"expected\": null, \"value\": \"" + value + "\"}"), 200));
        assertTrue(cas.get("succeeded").asBoolean(), cas.toString());
        expect(t.send("POST", "/v1/batch", "{\"ops\": [{\"op\": \"put\", \"key\": \"i\", \"value\": \"" + value
                + "\"}]}"), 200);
        int pageMax = Math.min(ScanEndpoint.LIMIT_DEFAULT_ITEMS, limits.maxScanLimit());
        assertEquals(Math.min(pageMax, 6), TestServer.json(expect(t.get("/v1/scan"), 200)).get("items").size(),
                "a default page holds min(1000, max_scan_limit) items");
        assertEquals(List.of("a", "b", "c", "h", "i", "q"), scanAll(t, ScanEndpoint.LIMIT_MAX_ITEMS, pageMax));
        assertEquals(List.of("b", "c"), scanAll(t, 2, pageMax, "&start=b&end=d"));
        expect(t.send("DELETE", "/v1/kv/a", (byte[]) null), 200);
        expect(t.get("/health"), 200);
        expect(t.get("/ready"), 200);
        expect(t.get("/admin/ranges"), 200);
        expect(t.get("/admin/index-stats"), 200);
        expect(t.send("POST", "/admin/retrain-index", ""), 202);
    }

    /** Every key of a scan with {@code ?limit=limit}, following cursors; no page holds more than {@code pageMax}. */
    private static List<String> scanAll(TestServer t, int limit, int pageMax, String... query) {
        List<String> seen = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages == 0 || cursor != null; pages++) {
            assertTrue(pages < 100, "the scan ends");
            JsonNode page = TestServer.json(expect(t.get("/v1/scan?limit=" + limit + String.join("", query)
                    + (cursor == null ? "" : "&cursor=" + cursor)), 200));
            assertTrue(page.get("items").size() <= Math.min(limit, pageMax), page.toString());
            page.get("items").forEach(item -> seen.add(item.get("key").asText()));
            cursor = page.get("cursor").isNull() ? null : page.get("cursor").asText();
        }
        return seen;
    }

    private static HttpResponse<byte[]> expect(HttpResponse<byte[]> response, int status) {
        String request = response.request().method() + " " + response.uri();
        assertTrue(response.statusCode() < 500, () -> request + " answered " + response.statusCode() + ": "
                + TestServer.text(response));
        assertEquals(status, response.statusCode(), () -> request + ": " + TestServer.text(response));
        return response;
    }

    /** {@code section.key = value} lines grouped into their TOML sections. */
    private static String toml(Map<String, Long> settings) {
        Map<String, StringBuilder> sections = new TreeMap<>();
        settings.forEach((key, v) -> {
            int dot = key.indexOf('.');
            sections.computeIfAbsent(key.substring(0, dot), s -> new StringBuilder())
                    .append(key.substring(dot + 1)).append(" = ").append(v).append('\n');
        });
        StringBuilder out = new StringBuilder();
        sections.forEach((section, lines) -> out.append('[').append(section).append("]\n").append(lines));
        return out.toString();
    }
}
