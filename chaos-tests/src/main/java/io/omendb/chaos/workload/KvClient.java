package io.omendb.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omendb.chaos.cluster.ChaosCluster;
import io.omendb.chaos.cluster.NodeProcess;
import io.omendb.linearizability.History;
import io.omendb.linearizability.Op;
import io.omendb.chaos.report.ContentDigest;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The workload's HTTP client: one method per API operation, each recording an {@link Op} (invocation and
 * completion times, outcome, result) into the {@link History} and the {@link Timeline}.
 *
 * <p><b>Outcomes of writes</b> (the single place they are decided): 200 is OK; a 4xx (refused input, 429) and a
 * 503 are FAILED, because docs/API.md promises that a refused request never changes the store and that "a write
 * answered 503 did not commit" (the checker thereby tests that promise); a refused connection or connect timeout
 * is FAILED (nothing was sent); everything else (504, 500, a request timeout, a connection lost after sending) is
 * UNKNOWN. Reads that fail are recorded as FAILED and ignored by the checker.
 *
 * <p>Every request has a bounded timeout ({@code requestTimeout}). Thread-safe.
 */
public final class KvClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Attempts of a preload batch: a loaded machine may answer 503/504 past the 3 s request deadline. */
    static final int BATCH_ATTEMPTS_MAX = 20;
    static final long BATCH_RETRY_PAUSE_MS = 500;
    static final Duration BATCH_TIMEOUT = Duration.ofSeconds(60);

    /** One page of a scan: the items in key order and the covered interval's end (null: to the scan's end). */
    public record ScanPage(Map<String, String> items, String coveredEnd, boolean more) {
    }

    private final ChaosCluster cluster;
    private final History history;
    private final Timeline timeline;
    private final Duration requestTimeout;

    public KvClient(ChaosCluster cluster, History history, Timeline timeline, Duration requestTimeout) {
        this.cluster = cluster;
        this.history = history;
        this.timeline = timeline;
        this.requestTimeout = requestTimeout;
    }

    public History history() {
        return history;
    }

    public CompletableFuture<Op> put(String process, NodeProcess node, String key, String value) {
        HttpRequest req = request(node, "/v1/kv/" + key).PUT(HttpRequest.BodyPublishers.ofString(value)).build();
        return write(process, Op.Type.PUT, key, value, null, req, body -> new Result(null, false));
    }

    public CompletableFuture<Op> delete(String process, NodeProcess node, String key) {
        HttpRequest req = request(node, "/v1/kv/" + key).DELETE().build();
        return write(process, Op.Type.DELETE, key, null, null, req,
                body -> new Result(null, JSON.readTree(body).get("deleted").asBoolean()));
    }

    public CompletableFuture<Op> cas(String process, NodeProcess node, String key, String expected, String value) {
        ObjectNode body = JSON.createObjectNode();
        body.put("expected", expected);
        body.put("value", value);
        HttpRequest req = request(node, "/v1/cas/" + key).POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .header("Content-Type", "application/json").build();
        return write(process, Op.Type.CAS, key, value, expected, req, answer -> {
            JsonNode n = JSON.readTree(answer);
            JsonNode current = n.get("current");
            return new Result(current.isNull() ? null : current.asText(), n.get("succeeded").asBoolean());
        });
    }

    /** A linearizable read; a failed read is recorded FAILED (it constrains nothing). */
    public CompletableFuture<Op> get(String process, NodeProcess node, String key) {
        long id = history.nextId();
        long invoked = System.nanoTime();
        HttpRequest req = request(node, "/v1/kv/" + key).GET().build();
        return cluster.http().sendAsync(req, HttpResponse.BodyHandlers.ofString()).handle((resp, error) -> {
            long done = System.nanoTime();
            Op op;
            if (error == null && resp.statusCode() == 200) {
                op = new Op(id, process, Op.Type.GET, key, null, null, invoked, done, Op.Outcome.OK, resp.body(), false);
            } else if (error == null && resp.statusCode() == 404 && resp.body().contains("\"not_found\"")) {
                op = new Op(id, process, Op.Type.GET, key, null, null, invoked, done, Op.Outcome.OK, null, false);
            } else {
                op = new Op(id, process, Op.Type.GET, key, null, null, invoked, done, Op.Outcome.FAILED, null, false);
            }
            return recorded(op, done);
        });
    }

    private record Result(String result, boolean flag) {
    }

    private interface Decoder {
        Result decode(String body) throws IOException;
    }

    private CompletableFuture<Op> write(String process, Op.Type type, String key, String value, String expected,
                                        HttpRequest req, Decoder decoder) {
        long id = history.nextId();
        long invoked = System.nanoTime();
        return cluster.http().sendAsync(req, HttpResponse.BodyHandlers.ofString()).handle((resp, error) -> {
            long done = System.nanoTime();
            Op.Outcome outcome = error != null ? failureOutcome(error) : statusOutcome(resp.statusCode());
            Result r = new Result(null, false);
            if (outcome == Op.Outcome.OK) {
                try {
                    r = decoder.decode(resp.body());
                } catch (IOException | RuntimeException e) {
                    throw new IllegalStateException("unparseable answer to " + type + " " + key + ": " + resp.body(), e);
                }
            }
            return recorded(new Op(id, process, type, key, value, expected, invoked, done, outcome, r.result(),
                    r.flag()), done);
        });
    }

    static Op.Outcome statusOutcome(int status) {
        if (status == 200) {
            return Op.Outcome.OK;
        }
        if ((status >= 400 && status < 500) || status == 503) {
            return Op.Outcome.FAILED;
        }
        return Op.Outcome.UNKNOWN;
    }

    static Op.Outcome failureOutcome(Throwable error) {
        Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return t instanceof ConnectException || t instanceof HttpConnectTimeoutException ? Op.Outcome.FAILED
                : Op.Outcome.UNKNOWN;
    }

    private Op recorded(Op op, long atNs) {
        history.add(op);
        timeline.record(op.outcome(), atNs);
        return op;
    }

    /**
     * One page of {@code GET /v1/scan} over {@code [start, end)} from {@code cursor} (null: the first page).
     * Throws {@link IOException} on a failed request or non-200 answer. Not recorded in the history: the caller
     * knows which keys the page covered.
     */
    public ScanPage scanPage(NodeProcess node, String start, String end, String cursor, int limit, boolean stale)
            throws IOException, InterruptedException {
        StringBuilder q = new StringBuilder("/v1/scan?start=").append(enc(start)).append("&end=").append(enc(end))
                .append("&limit=").append(limit);
        if (cursor != null) {
            q.append("&cursor=").append(cursor);
        }
        if (stale) {
            q.append("&consistency=stale");
        }
        HttpResponse<String> resp = cluster.http().send(request(node, q.toString()).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 200) {
            throw new IOException("scan answered " + resp.statusCode() + ": " + resp.body());
        }
        JsonNode n = JSON.readTree(resp.body());
        Map<String, String> items = new LinkedHashMap<>();
        for (JsonNode item : n.get("items")) {
            items.put(item.get("key").asText(), item.get("value").asText());
        }
        JsonNode next = n.get("cursor");
        String nextCursor = next.isNull() ? null : next.asText();
        return new ScanPage(items, nextCursor == null ? null
                : new String(Base64.getUrlDecoder().decode(nextCursor), StandardCharsets.UTF_8), nextCursor != null);
    }

    /**
     * {@code POST /v1/batch} of puts whose repetition cannot change the outcome (the same keys and values, not in
     * any other writer's keys), retried on 503, 504 and timeouts up to {@link #BATCH_ATTEMPTS_MAX} attempts. Used
     * by preloads, whose puts are recorded from the first attempt's invocation to the success.
     */
    public static void postIdempotentBatch(ChaosCluster cluster, NodeProcess node, String body)
            throws IOException, InterruptedException {
        String last = "";
        for (int attempt = 1; attempt <= BATCH_ATTEMPTS_MAX; attempt++) {
            try {
                HttpResponse<String> resp = cluster.http().send(HttpRequest.newBuilder(cluster.uri(node, "/v1/batch"))
                                .timeout(BATCH_TIMEOUT).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (resp.statusCode() == 200) {
                    return;
                }
                if (resp.statusCode() != 503 && resp.statusCode() != 504) {
                    throw new IOException("preload batch refused by the healthy cluster: " + resp.statusCode() + " "
                            + resp.body());
                }
                last = resp.statusCode() + " " + resp.body();
            } catch (java.net.http.HttpTimeoutException e) {
                last = e.toString();
            }
            Thread.sleep(BATCH_RETRY_PAUSE_MS);
        }
        throw new IOException("preload batch not accepted in " + BATCH_ATTEMPTS_MAX + " attempts; last: " + last);
    }

    /** Feeds every item of {@code [start, end)} into {@code digest}, page by page, holding one page at a time. */
    public void digestInto(ContentDigest digest, NodeProcess node, String start, String end, int pageLimit,
                           boolean stale) throws IOException, InterruptedException {
        String cursor = null;
        while (true) {
            ScanPage page = scanPage(node, start, end, cursor, pageLimit, stale);
            page.items().forEach(digest::add);
            if (!page.more()) {
                return;
            }
            cursor = Base64.getUrlEncoder().withoutPadding().encodeToString(
                    page.coveredEnd().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Every item of {@code [start, end)}, following cursors. */
    public Map<String, String> scanAll(NodeProcess node, String start, String end, int pageLimit, boolean stale)
            throws IOException, InterruptedException {
        Map<String, String> out = new LinkedHashMap<>();
        String cursor = null;
        while (true) {
            ScanPage page = scanPage(node, start, end, cursor, pageLimit, stale);
            out.putAll(page.items());
            if (!page.more()) {
                return out;
            }
            cursor = Base64.getUrlEncoder().withoutPadding().encodeToString(
                    page.coveredEnd().getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * A linearizable scan of {@code keys} (all inside {@code [start, end)}), recorded as one read per key: a key the
     * page covered and did not return was read as absent. Keys beyond the page are not recorded.
     */
    public void recordedScan(String process, NodeProcess node, String start, String end, List<String> keys,
                             int limit) throws InterruptedException {
        long invoked = System.nanoTime();
        ScanPage page;
        try {
            page = scanPage(node, start, end, null, limit, false);
        } catch (IOException e) {
            timeline.record(Op.Outcome.FAILED, System.nanoTime());
            return;
        }
        long done = System.nanoTime();
        timeline.record(Op.Outcome.OK, done);
        List<Op> reads = new ArrayList<>();
        for (String k : keys) {
            if (page.coveredEnd() == null || k.compareTo(page.coveredEnd()) < 0) {
                reads.add(new Op(history.nextId(), process, Op.Type.GET, k, null, null, invoked, done, Op.Outcome.OK,
                        page.items().get(k), false));
            }
        }
        reads.forEach(history::add);
    }

    private HttpRequest.Builder request(NodeProcess node, String pathAndQuery) {
        return HttpRequest.newBuilder(cluster.uri(node, pathAndQuery)).timeout(requestTimeout);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
