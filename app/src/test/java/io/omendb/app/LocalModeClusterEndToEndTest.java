package io.omendb.app;

import static io.omendb.app.LocalProcess.body;
import static io.omendb.app.LocalProcess.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.omendb.raft.LocalCluster;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One {@code omendb local --nodes 3 --ranges 4} process shared by every test here (each uses its own keys):
 * the size limits at their exact bounds, a compare-and-set race between many clients, leader transfers under a
 * write load, every error code of docs/API.md that input can cause, bad input leaving the store digest
 * unchanged, per-range Raft metrics, and a real Prometheus server scraping the process. The leader-transfer test
 * runs last (see its note).
 *
 * <p>The fault injected under load is a Raft leadership transfer ({@code POST /admin/transfer-leader}), not a
 * process kill: in local mode every peer shares one JVM, so killing a leader's process kills the cluster. Kills of
 * separate node JVMs are covered by raft-node's {@code KillNineRestartTest}.
 *
 * <p>The process, its admin credentials and the client's retry rules are {@link LocalProcess}'s (shared with
 * {@link LocalModeEndToEndTest}). Assertions are about outcomes (no acknowledged write lost, one CAS winner per
 * round, an unchanged store), never about how fast the cluster answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LocalModeClusterEndToEndTest {
    private static final int MIB = 1 << 20;
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final int TRANSFER_ATTEMPTS_MAX = 5;
    private static final int CAS_ATTEMPTS_MAX = 10;
    private static final Pattern TERM_SERIES = series("omendb_raft_term");
    private static final Pattern IS_LEADER_SERIES = series("omendb_raft_is_leader");

    @TempDir
    static Path tmp;
    private LocalProcess local;

    @BeforeAll
    void startLocalMode() throws Exception {
        local = LocalProcess.start(tmp.resolve("data"), tmp.resolve("local.log"));
    }

    @AfterAll
    void stopLocalMode() throws Exception {
        if (local != null) {
            try {
                local.stopAndExpectCleanExit();
            } finally {
                local.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ limits

    @Test
    void aOneMebibyteValueRoundTripsAndOneByteMoreIs413() throws Exception {
        byte[] value = new byte[MIB];
        new Random(42).nextBytes(value);
        HttpResponse<byte[]> put = local.send("PUT", "/v1/kv/big-value", value);
        assertEquals(200, put.statusCode(), body(put));
        assertArrayEquals(value, local.send("GET", "/v1/kv/big-value", (String) null).body());

        HttpResponse<byte[]> tooBig = local.send("PUT", "/v1/kv/big-value", new byte[MIB + 1]);
        assertError(tooBig, 413, "value_too_large");
        assertTrue(json(tooBig).get("message").asText().contains("1048576"), body(tooBig));
        assertArrayEquals(value, local.send("GET", "/v1/kv/big-value", (String) null).body(), "refused: unchanged");

        // a compare-and-set of two maximal values fits one Raft entry (the write buffer is sized for it)
        String a = "a".repeat(MIB);
        String b = "b".repeat(MIB);
        assertEquals(200, local.send("PUT", "/v1/kv/big-cas", a).statusCode());
        JsonNode cas = json(local.send("POST", "/v1/cas/big-cas", "{\"expected\":\"" + a + "\",\"value\":\"" + b + "\"}"));
        assertTrue(cas.get("succeeded").asBoolean());
        // a batch of three maximal values exceeds one entry: refused before it is sent
        String ops = String.join(",", List.of(op("big-b1", a), op("big-b2", a), op("big-b3", a)));
        assertError(local.send("POST", "/v1/batch", "{\"ops\":[" + ops + "]}"), 413, "batch_too_large");
        assertEquals(404, local.send("GET", "/v1/kv/big-b1", (String) null).statusCode());

        String maxKey = "k".repeat(4096);
        assertEquals(200, local.send("PUT", "/v1/kv/" + maxKey, "v").statusCode());
        assertError(local.send("PUT", "/v1/kv/" + maxKey + "k", "v"), 413, "key_too_large");
        for (String k : List.of("big-value", "big-cas", maxKey)) {
            assertEquals(200, local.send("DELETE", "/v1/kv/" + k, (String) null).statusCode());
        }
    }

    private static String op(String key, String value) {
        return "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":\"" + value + "\"}";
    }

    // ------------------------------------------------------------------------------------------------ CAS race

    /**
     * 12 clients race one compare-and-set per round from the previous round's value; each value names its round
     * and client. Exactly one must win, the losers must see the winner's value, and the key must hold it.
     */
    @Test
    void concurrentCompareAndSetHasExactlyOneWinnerPerRound() throws Exception {
        int clients = 12;
        int rounds = 5;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            String previous = null;
            for (int round = 0; round < rounds; round++) {
                List<Future<CasOutcome>> answers = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    String expected = previous;
                    String value = "r" + round + "-c" + c;
                    answers.add(pool.submit(() -> casUntilKnown("race", expected, value)));
                }
                List<String> winners = new ArrayList<>();
                List<String> seenByLosers = new ArrayList<>();
                for (Future<CasOutcome> f : answers) {
                    CasOutcome o = f.get(180, TimeUnit.SECONDS);
                    (o.won() ? winners : seenByLosers).add(o.current());
                }
                assertEquals(1, winners.size(), "round " + round + " winners " + winners);
                String winner = winners.get(0);
                assertEquals(Collections.nCopies(clients - 1, winner), seenByLosers, "losers see the winner");
                assertEquals(winner, body(local.send("GET", "/v1/kv/race", (String) null)));
                previous = winner;
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        }
        assertEquals(200, local.send("DELETE", "/v1/kv/race", (String) null).statusCode());
    }

    /** Whether this client's compare-and-set won, and the value the key held when it was decided. */
    private record CasOutcome(boolean won, String current) {
    }

    /**
     * One compare-and-set with a definite outcome. 429/503 did not commit, so they are sent again. After a 504 the
     * outcome is unknown: the same request is sent again, and if it then fails holding this client's own (unique)
     * value, the earlier attempt is the one that won. Within {@link #CAS_ATTEMPTS_MAX} attempts.
     */
    private CasOutcome casUntilKnown(String key, String expected, String value) throws Exception {
        String request = "{\"expected\":" + (expected == null ? "null" : "\"" + expected + "\"")
                + ",\"value\":\"" + value + "\"}";
        boolean unknownEarlier = false;
        String last = "";
        for (int attempt = 0; attempt < CAS_ATTEMPTS_MAX; attempt++) {
            HttpResponse<byte[]> r = local.sendOnce("POST", "/v1/cas/" + key, request);
            last = r.statusCode() + " " + body(r);
            if (r.statusCode() == 200) {
                JsonNode result = json(r);
                String current = result.get("current").asText();
                boolean won = result.get("succeeded").asBoolean() || (unknownEarlier && current.equals(value));
                return new CasOutcome(won, current);
            }
            assertTrue(r.statusCode() == 429 || r.statusCode() == 503 || r.statusCode() == 504, last);
            unknownEarlier |= r.statusCode() == 504;
            local.retries.incrementAndGet();
            Thread.sleep(200);
        }
        return fail(key + ": no definite compare-and-set answer in " + CAS_ATTEMPTS_MAX + " attempts; last " + last);
    }

    // ------------------------------------------------------------------------------------ leaders move under load

    /**
     * Runs last: after transfers under load, the first write to each range was seen to outlast the 5 s request
     * deadline (504, then fine) — a known open issue of the router's Ratis client. GET and PUT retries absorb it,
     * but the other tests also send compare-and-sets and deletes, whose 504 is not retried blindly.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void leaderTransfersDuringWritesLoseNoAcknowledgedWrite() throws Exception {
        int writers = 4;
        Map<String, String> acked = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        int retriesBefore = local.retries.get();
        double leaderChangesBefore = sumOfSeries("omendb_raft_leader_changes_total");
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String prefix = List.of("load-a", "load-h", "load-o", "load-u").get(w); // one per range
                running.add(pool.submit(() -> writeUntilStopped(prefix, acked, stop)));
            }
            int transfers = 0;
            for (int round = 0; round < 2; round++) {
                for (JsonNode range : json(local.send("GET", "/admin/ranges", (String) null)).get("ranges")) {
                    transferToAnotherPeer(range.get("id").asLong());
                    transfers++;
                }
            }
            Thread.sleep(500);
            stop.set(true);
            for (Future<?> f : running) {
                f.get(120, TimeUnit.SECONDS);
            }
            assertEquals(8, transfers);
        } finally {
            stop.set(true);
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        }
        assertTrue(acked.size() >= 4, "writes were acknowledged during the transfers: " + acked.size());
        for (Map.Entry<String, String> e : acked.entrySet()) {
            HttpResponse<byte[]> r = local.send("GET", "/v1/kv/" + e.getKey(), (String) null);
            assertEquals(200, r.statusCode(), "acknowledged write lost: " + e.getKey());
            assertEquals(e.getValue(), body(r), e.getKey());
        }
        assertTrue(sumOfSeries("omendb_raft_leader_changes_total") > leaderChangesBefore,
                "leader changes show in omendb_raft_leader_changes_total");
        System.out.printf("leader transfers under load: %d writes acknowledged and read back, %d requests retried%n",
                acked.size(), local.retries.get() - retriesBefore);
    }

    /**
     * Writes keys {@code prefix-0, prefix-1, ...} until stopped; a key counts as acknowledged only on 200. A 503 or
     * 504 (the known slow first write after a transfer) is retried by {@link LocalProcess#send} within its budget:
     * a PUT retried with the same value leaves the same state, so the retry cannot make a lost write look stored.
     */
    private void writeUntilStopped(String prefix, Map<String, String> acked, AtomicBoolean stop) {
        try {
            for (int i = 0; !stop.get(); i++) {
                String key = prefix + "-" + i;
                String value = "v" + i;
                HttpResponse<byte[]> r = local.send("PUT", "/v1/kv/" + key, value);
                assertEquals(200, r.statusCode(), key + " not acknowledged within the retry budget: " + body(r));
                acked.put(key, value);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Moves range {@code id}'s leadership to a peer that does not lead it. On a loaded machine an election may
     * move the leader between reading /admin/ranges and the transfer (503 DIFFERENT_LEADER, "retry later"), so a
     * 503 is retried with a fresh view, and so is a 504 (the transfer outlasted the router's deadline), at most
     * {@link #TRANSFER_ATTEMPTS_MAX} times. A transfer took when the chosen peer leads afterwards.
     */
    private void transferToAnotherPeer(long id) throws Exception {
        String last = "";
        for (int attempt = 0; attempt < TRANSFER_ATTEMPTS_MAX; attempt++) {
            JsonNode range = rangeById(id);
            String leader = range.get("leader").asText();
            String target = null;
            for (JsonNode peer : range.get("peers")) {
                if (!peer.asText().equals(leader)) {
                    target = peer.asText();
                    break;
                }
            }
            HttpResponse<byte[]> moved = local.sendOnce("POST", "/admin/transfer-leader?range=" + id + "&to="
                    + target, (String) null);
            last = moved.statusCode() + " " + body(moved);
            assertTrue(moved.statusCode() == 200 || moved.statusCode() == 503 || moved.statusCode() == 504, last);
            if (target.equals(rangeById(id).get("leader").asText())) {
                return;
            }
            Thread.sleep(500);
        }
        fail("range " + id + ": no transfer took within " + TRANSFER_ATTEMPTS_MAX + " attempts; last: " + last);
    }

    private JsonNode rangeById(long id) throws Exception {
        for (JsonNode r : json(local.send("GET", "/admin/ranges", (String) null)).get("ranges")) {
            if (r.get("id").asLong() == id) {
                return r;
            }
        }
        return fail("no range " + id);
    }

    // --------------------------------------------------------------------------------------------- error codes

    @Test
    void everyInputErrorCodeIsReachableAndLeavesTheStoreDigestUnchanged() throws Exception {
        assertEquals(200, local.send("PUT", "/v1/kv/err-existing", "kept").statusCode());
        StoreState before = storeState();
        Map<String, HttpResponse<byte[]>> answers = new LinkedHashMap<>();
        String big = "x".repeat(MIB);
        assertRawError("GET http://elsewhere/v1/kv/a HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request");
        assertRawError("GET /v1/kv/err-a HTTP/1.1\r\nHost: x\r\nX-Big: " + "h".repeat(20_000) + "\r\n\r\n", 431,
                "headers_too_large");
        assertRawError("PUT /v1/kv/a%zz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nv", 400,
                "bad_percent_encoding");
        answers.put("400 unknown_parameter", local.send("PUT", "/v1/kv/err-a?colour=red", "v"));
        answers.put("400 duplicate_parameter", local.send("GET", "/v1/scan?limit=1&limit=2", (String) null));
        answers.put("400 bad_encoding", local.send("POST", "/v1/cas/err-a?encoding=hex", "{\"expected\":null,\"value\":\"v\"}"));
        answers.put("400 bad_consistency", local.send("GET", "/v1/kv/err-existing?consistency=eventual", (String) null));
        answers.put("400 bad_json", local.send("POST", "/v1/cas/err-a", "{not json"));
        answers.put("400 missing_field", local.send("POST", "/v1/cas/err-a", "{\"expected\":null}"));
        answers.put("400 bad_field", local.send("POST", "/v1/cas/err-a", "{\"expected\":5,\"value\":\"v\"}"));
        answers.put("400 unknown_field", local.send("POST", "/v1/cas/err-a", "{\"expected\":null,\"value\":\"v\",\"ttl\":1}"));
        answers.put("400 bad_base64", local.send("POST", "/v1/cas/err-a?encoding=base64", "{\"expected\":null,\"value\":\"!!\"}"));
        answers.put("400 bad_utf8", local.send("POST", "/v1/cas/err-a", "{\"expected\":null,\"value\":\"\\ud800\"}"));
        answers.put("400 empty_key", local.send("PUT", "/v1/kv/", "v"));
        answers.put("400 empty_batch", local.send("POST", "/v1/batch", "{\"ops\":[]}"));
        answers.put("400 unknown_op", local.send("POST", "/v1/batch", "{\"ops\":[" + op("err-a", "v")
                + ",{\"op\":\"frobnicate\",\"key\":\"err-b\"}]}"));
        answers.put("400 bad_limit", local.send("GET", "/v1/scan?limit=10001", (String) null));
        answers.put("400 bad_cursor", local.send("GET", "/v1/scan?cursor=%21%21", (String) null));
        answers.put("400 bad_range", local.send("POST", "/admin/retrain-index?range=one", (String) null));
        answers.put("400 bad_node", local.send("POST", "/admin/transfer-leader?range=1", (String) null));
        answers.put("404 not_found", local.send("GET", "/v1/kv/err-absent", (String) null));
        answers.put("404 unknown_route", local.send("GET", "/v2/kv/a", (String) null));
        answers.put("404 unknown_range", local.send("POST", "/admin/rebuild-index?range=99", (String) null));
        answers.put("404 unknown_node", local.send("POST", "/admin/transfer-leader?range=1&to=n9", (String) null));
        answers.put("405 method_not_allowed", local.send("PATCH", "/v1/kv/err-a", "v"));
        answers.put("409 cross_range_batch", local.send("POST", "/v1/batch", "{\"ops\":[" + op("err-a", "v") + ","
                + op("zz-err", "v") + "]}"));
        answers.put("413 body_too_large", local.send("PUT", "/v1/kv/err-a", new byte[9 * MIB]));
        answers.put("413 key_too_large", local.send("POST", "/v1/batch", "{\"ops\":[" + op("k".repeat(4097), "v") + "]}"));
        answers.put("413 value_too_large", local.send("POST", "/v1/cas/err-a", "{\"expected\":null,\"value\":\""
                + big + "x\"}"));
        answers.put("413 batch_too_large", local.send("POST", "/v1/batch", "{\"ops\":["
                + String.join(",", Collections.nCopies(1001, op("err-a", "v"))) + "]}"));
        answers.put("414 uri_too_long", local.send("GET", "/v1/kv/" + "u".repeat(30_000), (String) null));
        for (Map.Entry<String, HttpResponse<byte[]>> e : answers.entrySet()) {
            String[] expected = e.getKey().split(" ");
            assertError(e.getValue(), Integer.parseInt(expected[0]), expected[1]);
        }
        before.assertUnchangedIn(storeState());

        // not_utf8 needs a stored value that is not UTF-8; the base64 form of the same read works
        assertEquals(200, local.send("PUT", "/v1/kv/err-binary", new byte[] {(byte) 0xff, 0x00}).statusCode());
        assertError(local.send("GET", "/v1/scan?start=err-binary&end=err-binarz", (String) null), 400, "not_utf8");
        assertEquals("/wA=", json(local.send("GET", "/v1/scan?start=err-binary&end=err-binarz&encoding=base64",
                (String) null)).get("items").get(0).get("value").asText());
        assertEquals(200, local.send("DELETE", "/v1/kv/err-binary", (String) null).statusCode());
        assertEquals(200, local.send("DELETE", "/v1/kv/err-existing", (String) null).statusCode());
    }

    /**
     * SHA-256 over every key and value (a base64 scan across all ranges), and per range its applied index and its
     * highest Raft term (omendb_raft_term over the replicas).
     */
    private record StoreState(String dataSha256, Map<String, Long> appliedIndex, Map<String, Long> term) {
        /**
         * The data must be identical. A request that reached a range group would move its applied index even if it
         * wrote nothing visible; the only other entry a range appends is the one each new leader appends when its
         * term starts (a spontaneous election on a loaded machine), so a range may move by at most its term
         * change — on an undisturbed cluster, by nothing.
         */
        void assertUnchangedIn(StoreState after) {
            assertEquals(dataSha256, after.dataSha256, "refused requests changed the stored data");
            assertEquals(appliedIndex.keySet(), after.appliedIndex.keySet());
            for (String range : appliedIndex.keySet()) {
                long moved = after.appliedIndex.get(range) - appliedIndex.get(range);
                long elections = after.term.get(range) - term.get(range);
                assertTrue(moved <= elections, "refused requests reached range " + range + ": applied index "
                        + appliedIndex.get(range) + " -> " + after.appliedIndex.get(range) + " with " + elections
                        + " new terms");
            }
        }
    }

    private StoreState storeState() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (JsonNode item : local.scanItems(1000, "&encoding=base64")) {
            sha.update((item.get("key").asText() + "=" + item.get("value").asText() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        Map<String, Long> term = new HashMap<>();
        for (String line : body(local.metrics()).split("\n")) {
            Matcher m = TERM_SERIES.matcher(line);
            if (m.matches()) {
                term.merge(m.group(2), (long) Double.parseDouble(m.group(3)), Math::max);
            }
        }
        Map<String, Long> applied = new TreeMap<>();
        for (JsonNode r : json(local.send("GET", "/admin/ranges", (String) null)).get("ranges")) {
            applied.put(r.get("id").asText(), r.get("applied_index").asLong());
            assertTrue(term.containsKey(r.get("id").asText()), "omendb_raft_term of range " + r.get("id"));
        }
        return new StoreState(HexFormat.of().formatHex(sha.digest()), applied, term);
    }

    /**
     * Sends bytes the JDK client refuses to produce and reads the answer until the server closes the connection
     * (it does after a malformed request, or when asked with {@code Connection: close}): status line, headers,
     * then the JSON error body. The credentials go in as the first header, so no refusal is an authentication one.
     */
    private void assertRawError(String request, int status, String code) throws IOException {
        String withCredentials = request.replace("HTTP/1.1\r\n", "HTTP/1.1\r\nAuthorization: "
                + local.authorization() + "\r\n");
        String answer;
        try (Socket s = new Socket("127.0.0.1", local.httpPort)) {
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            out.write(withCredentials.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), answer);
        JsonNode error = LocalProcess.JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
        assertEquals(code, error.get("error").asText(), answer);
    }

    // ------------------------------------------------------------------------------------------------- metrics

    @Test
    void perRangeRaftMetricsAreExported() throws Exception {
        assertEquals(200, local.send("PUT", "/v1/kv/metrics-a", "v").statusCode());
        String text = body(local.metrics());
        for (String name : List.of("omendb_raft_leader_changes_total", "omendb_raft_snapshot_installs_total",
                "omendb_raft_commit_index", "omendb_raft_applied_index", "omendb_raft_term", "omendb_raft_is_leader")) {
            for (String range : List.of("1", "2", "3", "4", "meta")) {
                assertTrue(text.contains(name + "{node=\"n1\",range=\"" + range + "\"}"), name + " range " + range);
            }
        }
        for (String name : List.of("jvm_memory_heap_used", "jvm_threads_count", "omendb_query_duration_seconds_bucket",
                "omendb_memory_usage_bytes", "omendb_wal_size_bytes")) {
            assertTrue(text.contains(name), name);
        }
        awaitOneLeaderPerRange();
    }

    /**
     * Polls omendb_raft_is_leader and omendb_raft_term until each of the 4 ranges has exactly one replica leading
     * (at most 60 s: an election on a loaded machine may leave a range briefly without, or with a deposed leader
     * that has not heard of the new term yet). Every sample must keep Raft's rule: never two leaders in one term.
     */
    private void awaitOneLeaderPerRange() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Map<String, List<String>> leaderTerms = Map.of();
        while (System.nanoTime() < deadline) {
            String text = body(local.metrics());
            Map<String, String> terms = new HashMap<>();
            for (String line : text.split("\n")) {
                Matcher m = TERM_SERIES.matcher(line);
                if (m.matches()) {
                    terms.put(m.group(1) + "/" + m.group(2), m.group(3));
                }
            }
            leaderTerms = new TreeMap<>();
            for (String line : text.split("\n")) {
                Matcher m = IS_LEADER_SERIES.matcher(line);
                if (m.matches() && !m.group(2).equals("meta") && Double.parseDouble(m.group(3)) == 1) {
                    String replica = m.group(1) + "/" + m.group(2);
                    leaderTerms.computeIfAbsent(m.group(2), r -> new ArrayList<>()).add(terms.get(replica));
                }
            }
            for (Map.Entry<String, List<String>> e : leaderTerms.entrySet()) {
                assertEquals(e.getValue().size(), new HashSet<>(e.getValue()).size(),
                        "two leaders in one term of range " + e.getKey() + ": " + leaderTerms);
            }
            if (leaderTerms.size() == 4 && leaderTerms.values().stream().allMatch(t -> t.size() == 1)) {
                return;
            }
            Thread.sleep(500);
        }
        fail("ranges without exactly one leader for 60 s (range -> leaders' terms): " + leaderTerms);
    }

    @Test
    void aRealPrometheusServerScrapesTheClusterAndAnswersAQuery() throws Exception {
        assumeTrue(Files.isExecutable(PROMETHEUS), "assumes Debian's prometheus at " + PROMETHEUS
                + " (bin/test installs it); skipped because it is absent");
        assertEquals(200, local.send("PUT", "/v1/kv/prom-a", "v").statusCode());
        int port = LocalCluster.freePorts(1)[0];
        // no basic_auth: local mode leaves [security] metrics_auth_enabled off (its default), as checked here
        assertEquals(200, local.metrics().statusCode(), "the metrics endpoint answers without credentials");
        Path config = tmp.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: omendb
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(local.metricsPort));
        Process prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + tmp.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
        try {
            JsonNode inserts = awaitQuery(prometheus, port, "omendb_inserts_total");
            assertTrue(inserts.get(0).get("value").get(1).asDouble() >= 1, inserts.toString());
            assertEquals("omendb", inserts.get(0).get("metric").get("job").asText());
            JsonNode applied = awaitQuery(prometheus, port, "omendb_raft_applied_index{range=\"1\"}");
            assertEquals(3, applied.size(), "one series per replica of range 1: " + applied);
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Polls Prometheus' query API until the instant query has a non-empty result (at most 60 s). */
    private JsonNode awaitQuery(Process prometheus, int port, String query) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!prometheus.isAlive()) {
                fail("prometheus exited with " + prometheus.exitValue() + ":\n"
                        + Files.readString(tmp.resolve("prometheus.log")));
            }
            try {
                HttpResponse<byte[]> r = local.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
                last = body(r);
                if (r.statusCode() == 200) {
                    JsonNode result = json(r).get("data").get("result");
                    if (result.size() > 0) {
                        return result;
                    }
                }
            } catch (IOException notListeningYet) {
                last = notListeningYet.toString();
            }
            Thread.sleep(500);
        }
        return fail("prometheus never answered " + query + "; last answer: " + last + "\n"
                + Files.readString(tmp.resolve("prometheus.log")));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A per-replica Raft series line: groups node, range, value. */
    private static Pattern series(String name) {
        return Pattern.compile(name + "\\{node=\"([^\"]+)\",range=\"([^\"]+)\"} (\\S+)");
    }

    private double sumOfSeries(String name) throws Exception {
        double sum = 0;
        for (String line : body(local.metrics()).split("\n")) {
            if (line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static void assertError(HttpResponse<byte[]> r, int status, String code) throws IOException {
        assertEquals(status, r.statusCode(), code + ": " + body(r));
        JsonNode error = json(r);
        assertEquals(code, error.get("error").asText(), body(r));
        assertFalse(error.get("message").asText().isEmpty(), body(r));
    }
}
