package io.omendb.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.Results;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.RangeDescriptor;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operations guide's rolling upgrade, made safe: a 3-node cluster (three {@code bin/omendb node} processes of
 * the unpacked tarball) under steady client load over HTTP; each node in turn has the range leaders it holds
 * transferred away ({@code POST /admin/transfer-leader}), is stopped with SIGTERM (exit 0), restarted on the same data
 * and waited for until every replica answers again. Clients retry like a well-behaved client (another router,
 * bounded attempts and backoff) and no request may fail after its retries; every acknowledged write must read
 * back at the end.
 */
class RollingRestartIT {
    private static final int NODES = 3;
    private static final int CLIENT_THREADS = 2;
    private static final int ATTEMPTS_MAX = 40;
    private static final long BACKOFF_MS = 250;
    private static final Duration READY_WAIT = Duration.ofSeconds(120);
    private static final Duration CATCH_UP_WAIT = Duration.ofSeconds(120);
    private static final long ADMIN_WAIT_S = 30;
    private static final int TRANSFER_ATTEMPTS_MAX = 10;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long LOAD_AFTER_LAST_RESTART_MS = 2_000;

    @TempDir
    Path tmp;

    private final Http http = new Http();
    private final List<ServerProcess> nodes = new ArrayList<>();
    private LoopbackCluster cluster;
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong operations = new AtomicLong();
    private final AtomicLong transfers = new AtomicLong();
    private final List<String> failureMessages = java.util.Collections.synchronizedList(new ArrayList<>());

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void restartingEachNodeInTurnFailsNoClientRequest() throws Exception {
        Path home = DistPaths.unpackTarball(tmp);
        cluster = LoopbackCluster.write(tmp, "rolling", NODES);
        AtomicBoolean loadRunning = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        try {
            for (int i = 0; i < NODES; i++) {
                nodes.add(cluster.startNode(home, i, "first"));
            }
            for (int i = 0; i < NODES; i++) {
                http.await200(base(i) + "/ready", READY_WAIT, nodes.toArray(ServerProcess[]::new));
            }
            for (int t = 0; t < CLIENT_THREADS; t++) {
                int thread = t;
                Thread c = new Thread(() -> clientLoop(thread, loadRunning), "client-" + t);
                c.start();
                clients.add(c);
            }
            OmenConfig cfg = ConfigLoader.load(cluster.config(0), Map.of());
            try (ClusterClient client = ClusterClient.connect(ClientOptions.from(cfg))) {
                client.awaitRangeTable(READY_WAIT);
                for (int i = 0; i < NODES; i++) {
                    String id = "n" + (i + 1);
                    transferLeadersAway(id, (i + 1) % NODES);
                    nodes.get(i).stop();
                    nodes.set(i, cluster.startNode(home, i, "restart"));
                    http.await200(base(i) + "/ready", READY_WAIT, nodes.get(i));
                    awaitEveryReplicaAnswers(client);
                }
            }
            Thread.sleep(LOAD_AFTER_LAST_RESTART_MS);
            assertTrue(transfers.get() > 0, "no leader was transferred: every range must have had a leader to move");
        } finally {
            loadRunning.set(false);
            for (Thread c : clients) {
                c.join(TimeUnit.SECONDS.toMillis(60));
            }
            try {
                assertEquals(0, failures.get(), "client requests failed after retries: " + failureMessages);
                assertTrue(operations.get() > 100, "too little load to mean anything: " + operations.get());
                for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                    HttpResponse<String> r = http.send("GET", base(0) + "/v1/kv/" + e.getKey(), null);
                    assertEquals(200, r.statusCode(), e.getKey() + ": " + r.body());
                    assertEquals(e.getValue(), r.body(), e.getKey());
                }
                for (ServerProcess n : nodes) {
                    n.stop();
                }
                System.out.printf("rolling restart: %d leader transfers, %d operations, %d retried attempts, "
                        + "%d failures, %d keys%n", transfers.get(), operations.get(), retries.get(), failures.get(),
                        acknowledged.size());
            } finally {
                nodes.forEach(ServerProcess::close);
            }
        }
    }

    /**
     * Step 1 of the guide's upgrade, as an operator does it: every range that {@code /admin/ranges} shows led by
     * {@code nodeId} is handed to another of its peers with {@code POST /admin/transfer-leader}. A 503 means
     * another leader was elected meanwhile: read the ranges again and retry, a bounded number of times.
     */
    private void transferLeadersAway(String nodeId, int viaNode) throws Exception {
        for (int attempt = 0; attempt < TRANSFER_ATTEMPTS_MAX; attempt++) {
            JsonNode ranges = JSON.readTree(http.send("GET", base(viaNode) + "/admin/ranges", null).body()).get("ranges");
            List<String> pending = new ArrayList<>();
            for (JsonNode r : ranges) {
                if (!nodeId.equals(r.get("leader").asText(null))) {
                    continue;
                }
                String target = null;
                for (JsonNode p : r.get("peers")) {
                    if (!p.asText().equals(nodeId)) {
                        target = p.asText();
                        break;
                    }
                }
                HttpResponse<String> moved = http.send("POST", base(viaNode) + "/admin/transfer-leader?range="
                        + r.get("id").asLong() + "&to=" + target, null);
                if (moved.statusCode() == 200) {
                    transfers.incrementAndGet();
                } else {
                    assertEquals(503, moved.statusCode(), moved.body());
                    pending.add(r.get("id").asText());
                }
            }
            if (pending.isEmpty()) {
                return;
            }
            Thread.sleep(BACKOFF_MS);
        }
        throw new AssertionError("ranges still led by " + nodeId + " after " + TRANSFER_ATTEMPTS_MAX + " attempts");
    }

    /** The restarted node is back in every range it replicates: every replica reports its role again. */
    private static void awaitEveryReplicaAnswers(ClusterClient client) throws InterruptedException {
        Http.await(() -> {
            for (RangeDescriptor r : client.rangeTable().ranges()) {
                try {
                    Results.RangeStatus s = client.admin().rangeStatus(r.rangeId()).get(ADMIN_WAIT_S, TimeUnit.SECONDS);
                    if (s.leaderId() == null || s.replicas().stream().anyMatch(x -> x.role().equals("UNREACHABLE"))) {
                        return false;
                    }
                } catch (Exception notYet) {
                    return false;
                }
            }
            return true;
        }, CATCH_UP_WAIT, "every replica did not answer after the restart");
    }

    /** PUT a new key then GET it, forever, each request retried on other routers until it succeeds. */
    private void clientLoop(int thread, AtomicBoolean running) {
        for (long i = 0; running.get(); i++) {
            String key = "k-" + thread + "-" + i;
            String value = "v-" + i;
            if (request("PUT", key, value, (int) (i % NODES)) != null) {
                acknowledged.put(key, value);
                String got = request("GET", key, null, (int) ((i + 1) % NODES));
                if (got != null && !got.equals(value)) {
                    failures.incrementAndGet();
                    failureMessages.add("GET " + key + " read " + got + ", expected " + value);
                }
            }
        }
    }

    /**
     * One client request with retries: connection errors, 503 (no leader, node stopping) and 504 (outcome
     * unknown: a PUT of the same value is idempotent) are retried on the next router. Returns the body, or null
     * after {@link #ATTEMPTS_MAX} failed attempts (counted as a failure).
     */
    private String request(String method, String key, String body, int firstNode) {
        operations.incrementAndGet();
        String last = "";
        for (int attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
            int node = (firstNode + attempt) % NODES;
            try {
                HttpResponse<String> r = http.send(method, base(node) + "/v1/kv/" + key, body);
                if (r.statusCode() == 200) {
                    return r.body();
                }
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() != 503 && r.statusCode() != 504 && r.statusCode() != 429) {
                    break;
                }
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                last = "interrupted";
                break;
            }
            retries.incrementAndGet();
            try {
                Thread.sleep(BACKOFF_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        failures.incrementAndGet();
        failureMessages.add(method + " " + key + ": " + last);
        return null;
    }

    private String base(int node) {
        return cluster.base(node);
    }
}
