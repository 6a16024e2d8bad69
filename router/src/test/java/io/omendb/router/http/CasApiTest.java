package io.omendb.router.http;

import static io.omendb.router.http.ApiAssertions.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CasApiTest {
    @RegisterExtension
    final TestServer t = TestServer.perTest();

    private JsonNode cas(String key, String body) {
        return TestServer.json(t.send("POST", "/v1/cas/" + key, body));
    }

    @Test
    void createSwapAndDeleteFollowTheExpectedValue() {
        JsonNode create = cas("c", "{\"expected\": null, \"value\": \"v1\"}");
        assertTrue(create.get("succeeded").asBoolean());
        assertEquals("v1", create.get("current").asText());

        JsonNode conflict = cas("c", "{\"expected\": null, \"value\": \"v2\"}");
        assertFalse(conflict.get("succeeded").asBoolean());
        assertEquals("v1", conflict.get("current").asText());

        JsonNode swap = cas("c", "{\"expected\": \"v1\", \"value\": \"v2\"}");
        assertTrue(swap.get("succeeded").asBoolean());
        assertTrue(swap.get("revision").asLong() > create.get("revision").asLong());

        JsonNode delete = cas("c", "{\"expected\": \"v2\", \"value\": null}");
        assertTrue(delete.get("succeeded").asBoolean());
        assertTrue(delete.get("current").isNull());
        assertError(t.get("/v1/kv/c"), 404, "not_found");
    }

    @Test
    void base64EncodingCarriesBinaryValues() {
        // "/w==" is the single byte 0xFF, which is not UTF-8
        JsonNode create = cas("b?encoding=base64", "{\"expected\": null, \"value\": \"/w==\"}");
        assertTrue(create.get("succeeded").asBoolean());
        assertEquals("/w==", create.get("current").asText());
        assertEquals(1, t.get("/v1/kv/b").body().length);
        assertError(t.send("POST", "/v1/cas/b", "{\"expected\": null, \"value\": \"x\"}"), 400, "not_utf8");
        assertError(t.send("POST", "/v1/cas/b?encoding=base64", "{\"expected\": \"!!\", \"value\": null}"),
                400, "bad_base64");
        assertError(t.send("POST", "/v1/cas/b?encoding=hex", "{\"expected\": null, \"value\": null}"),
                400, "bad_encoding");
    }

    @Test
    void malformedBodiesNeverReachTheBackend() {
        assertError(t.send("POST", "/v1/cas/k", "{"), 400, "bad_json");
        assertError(t.send("POST", "/v1/cas/k", ""), 400, "bad_json");
        assertError(t.send("POST", "/v1/cas/k", "[1]"), 400, "bad_json");
        assertError(t.send("POST", "/v1/cas/k", "{\"value\": \"v\"}"), 400, "missing_field");
        assertError(t.send("POST", "/v1/cas/k", "{\"expected\": 1, \"value\": \"v\"}"), 400, "bad_field");
        assertError(t.send("POST", "/v1/cas/k", "{\"expected\": null, \"value\": \"v\", \"x\": 1}"), 400,
                "unknown_field");
        assertError(t.send("POST", "/v1/cas/k", "{\"expected\": null, \"expected\": null, \"value\": \"v\"}"), 400,
                "bad_json");
        assertError(t.send("POST", "/v1/cas/k", "{\"expected\": null, \"value\": \"v\"} {}"), 400, "bad_json");
        assertError(t.send("POST", "/v1/cas/k", "{\"expected\": null, \"value\": \"\\ud800\"}"), 400, "bad_utf8");
        assertEquals(0, t.backend.calls());
    }

    @Test
    void concurrentCreatesHaveExactlyOneWinner() throws Exception {
        int clients = 16;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            CyclicBarrier barrier = new CyclicBarrier(clients);
            List<Future<JsonNode>> answers = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                String body = "{\"expected\": null, \"value\": \"client-" + i + "\"}";
                answers.add(pool.submit(() -> {
                    barrier.await(10, TimeUnit.SECONDS);
                    return cas("race", body);
                }));
            }
            int winners = 0;
            String winner = null;
            for (Future<JsonNode> answer : answers) {
                JsonNode node = answer.get(20, TimeUnit.SECONDS);
                if (node.get("succeeded").asBoolean()) {
                    winners++;
                    winner = node.get("current").asText();
                }
            }
            assertEquals(1, winners);
            assertEquals(winner, TestServer.text(t.get("/v1/kv/race")));
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
