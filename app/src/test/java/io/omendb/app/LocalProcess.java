package io.omendb.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omendb.raft.LocalCluster;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test fixture shared by the local-mode end-to-end tests: {@code omendb local --nodes 3 --ranges 4} (or another
 * number of nodes) started as a separate JVM (this test's class path) on free ports, its output in a log file, an HTTP
 * client for its API and metrics ports, and {@link #admin} to run {@code omendb admin} against it. Split points for 4
 * ranges are "g", "n", "t".
 *
 * <p><b>Authentication</b> is on, as by default: the first start on a data dir prints the generated admin
 * password once; {@link #start} reads it from the log and every request but {@link #sendAnonymous} carries it as
 * HTTP Basic. {@link #restart} starts again on the same data dir and ports with the same password.
 *
 * <p><b>Loaded machines.</b> The router answers within its 5 s deadline ({@code max_query_duration_ms}); the
 * client waits {@link #REQUEST_TIMEOUT} so a slow answer is seen, never cut off. {@link #send} retries only what
 * cannot change the outcome: 429 and 503 (the request did not commit, docs/API.md) for every method, and 504
 * (outcome unknown) only for GET and PUT, whose retry leaves the same state; within {@link #RETRY_BUDGET}.
 * {@link #sendOnce} never retries. Tests assert correctness, never speed.
 *
 * <p>The process is owned by the caller: {@link #stopAndExpectCleanExit()} sends SIGTERM, {@link #close()} kills
 * it if still alive.
 */
final class LocalProcess implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Generous: on a shared 2-core machine under load, three nodes took 35 s to start. */
    private static final Duration READY_WAIT = Duration.ofSeconds(120);
    private static final long STOP_WAIT_SECONDS = 30;
    /** How long one {@code omendb admin} run may take (a JVM start and one admin call). */
    private static final long ADMIN_WAIT_SECONDS = 120;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration RETRY_BUDGET = Duration.ofSeconds(60);
    private static final long RETRY_PAUSE_MS_MAX = 1000;
    private static final Set<Integer> NOT_COMMITTED = Set.of(429, 503);
    private static final Pattern PASSWORD = Pattern.compile("created user 'admin' .* with password: (\\S+)");

    final int httpPort;
    final int metricsPort;
    final int nodes;
    final String adminPassword;
    /** Requests {@link #send} repeated after a 429/503/504; reported by tests, never asserted on. */
    final AtomicInteger retries = new AtomicInteger();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final Path dataDir;
    private final Path log;
    private final Process process;
    private final String authorization;

    private LocalProcess(Path dataDir, int nodes, int httpPort, int metricsPort, String adminPassword, Path log,
                         Process process) {
        this.dataDir = dataDir;
        this.nodes = nodes;
        this.httpPort = httpPort;
        this.metricsPort = metricsPort;
        this.adminPassword = adminPassword;
        this.log = log;
        this.process = process;
        this.authorization = adminPassword == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                ("admin:" + adminPassword).getBytes(StandardCharsets.UTF_8));
    }

    /** First start on a fresh data dir and free ports; waits for {@code GET /ready} = 200, reads the password. */
    static LocalProcess start(Path dataDir, Path log) throws Exception {
        return start(dataDir, log, 3);
    }

    /** As {@link #start(Path, Path)}, with {@code nodes} nodes (replication factor min(3, nodes)). */
    static LocalProcess start(Path dataDir, Path log, int nodes) throws Exception {
        int[] ports = LocalCluster.freePorts(2);
        LocalProcess withoutPassword = launch(dataDir, nodes, ports[0], ports[1], null, log);
        Matcher m = PASSWORD.matcher(withoutPassword.logText());
        if (!m.find()) {
            withoutPassword.close();
            fail("the first start prints the admin password:\n" + withoutPassword.logText());
        }
        return new LocalProcess(dataDir, nodes, ports[0], ports[1], m.group(1), log, withoutPassword.process);
    }

    /** Starts again on this (stopped) process's data dir and ports, with the same admin password. */
    LocalProcess restart(Path newLog) throws Exception {
        return launch(dataDir, nodes, httpPort, metricsPort, adminPassword, newLog);
    }

    private static LocalProcess launch(Path dataDir, int nodes, int httpPort, int metricsPort, String password,
                                       Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                OmenDbCli.class.getName(), "local", "--nodes", Integer.toString(nodes), "--ranges", "4", "--data-dir", dataDir.toString(),
                "--http-port", Integer.toString(httpPort), "--metrics-port", Integer.toString(metricsPort))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("OMENDB_AUTH_DISABLED");
        LocalProcess local = new LocalProcess(dataDir, nodes, httpPort, metricsPort, password, log, pb.start());
        try {
            local.awaitReady();
            return local;
        } catch (Exception | AssertionError e) {
            local.close();
            throw e;
        }
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + READY_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("omendb local exited with " + process.exitValue() + ":\n" + logText());
            }
            try {
                if (sendAnonymous("GET", "/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // the HTTP server starts after the nodes
            }
            Thread.sleep(200);
        }
        fail("not ready within " + READY_WAIT + ":\n" + logText());
    }

    void stopAndExpectCleanExit() throws InterruptedException {
        process.destroy(); // SIGTERM
        assertTrue(process.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS), "no exit within " + STOP_WAIT_SECONDS + " s");
        assertEquals(0, process.exitValue());
    }

    String logText() throws IOException {
        return Files.readString(log);
    }

    /** Sends {@code signal} (e.g. "HUP") to the process with kill(1). */
    void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
        assertTrue(kill.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal);
    }

    /** Waits until the process has printed a line holding every one of {@code parts}; fails after {@code wait}. */
    void awaitLogLine(Duration wait, String... parts) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : logText().split("\n")) {
                if (List.of(parts).stream().allMatch(line::contains)) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        fail("no line with " + List.of(parts) + " within " + wait + ":\n" + logText());
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + httpPort + pathAndQuery);
    }

    /** Value of the {@code Authorization} header every authenticated request carries. */
    String authorization() {
        return authorization;
    }

    HttpResponse<byte[]> send(String method, String pathAndQuery, String bodyOrNull) throws Exception {
        return send(method, pathAndQuery, bodyOrNull == null ? null : bodyOrNull.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #sendOnce}, repeated while the answer says it may be (see the class note), within the budget. */
    HttpResponse<byte[]> send(String method, String pathAndQuery, byte[] bodyOrNull) throws Exception {
        boolean sameStateOnRepeat = method.equals("GET") || method.equals("PUT");
        long deadline = System.nanoTime() + RETRY_BUDGET.toNanos();
        long pauseMs = 100;
        while (true) {
            HttpResponse<byte[]> r = sendOnce(method, pathAndQuery, bodyOrNull);
            boolean retryable = NOT_COMMITTED.contains(r.statusCode()) || (r.statusCode() == 504 && sameStateOnRepeat);
            if (!retryable || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMs) > deadline) {
                return r;
            }
            retries.incrementAndGet();
            Thread.sleep(pauseMs);
            pauseMs = Math.min(RETRY_PAUSE_MS_MAX, pauseMs * 2);
        }
    }

    HttpResponse<byte[]> sendOnce(String method, String pathAndQuery, String bodyOrNull) throws Exception {
        return sendOnce(method, pathAndQuery, bodyOrNull == null ? null : bodyOrNull.getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<byte[]> sendOnce(String method, String pathAndQuery, byte[] bodyOrNull) throws Exception {
        return http.send(request(method, pathAndQuery, bodyOrNull, true), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Without credentials (probes, and the 401 check). */
    HttpResponse<byte[]> sendAnonymous(String method, String pathAndQuery) throws Exception {
        return http.send(request(method, pathAndQuery, null, false), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpRequest request(String method, String pathAndQuery, byte[] bodyOrNull, boolean authenticated) {
        HttpRequest.BodyPublisher publisher = bodyOrNull == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(bodyOrNull);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(pathAndQuery)).method(method, publisher)
                .timeout(REQUEST_TIMEOUT);
        if (authenticated && authorization != null) {
            b.header("Authorization", authorization);
        }
        return b.build();
    }

    /** The metrics endpoint, without credentials: local mode leaves {@code metrics_auth_enabled} off (its default). */
    HttpResponse<byte[]> metrics() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Every key of the store, following cursors page by page. */
    List<String> scanAll(int limit) throws Exception {
        List<String> keys = new ArrayList<>();
        for (JsonNode item : scanItems(limit, "")) {
            keys.add(item.get("key").asText());
        }
        return keys;
    }

    /** Every item of the store ({@code extraQuery} e.g. "&encoding=base64"), following cursors. */
    List<JsonNode> scanItems(int limit, String extraQuery) throws Exception {
        List<JsonNode> items = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 10_000; pages++) {
            String q = "/v1/scan?limit=" + limit + extraQuery + (cursor == null ? ""
                    : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            HttpResponse<byte[]> r = send("GET", q, (String) null);
            assertEquals(200, r.statusCode(), body(r));
            JsonNode page = json(r);
            page.get("items").forEach(items::add);
            if (page.get("cursor").isNull()) {
                return items;
            }
            cursor = page.get("cursor").asText();
        }
        return fail("scan did not finish within 10000 pages");
    }

    /**
     * A thread writing {@code <a|h|o|u><i>} = {@code v<i>} (one key per range of split points g, n, t) through the
     * HTTP API until {@code stop}: 200s go to {@code acked}, anything else counts in {@code unacknowledged}.
     */
    Thread writer(String name, Map<String, String> acked, AtomicInteger unacknowledged, AtomicBoolean stop) {
        return new Thread(() -> {
            String[] prefixes = {"a", "h", "o", "u"};
            for (int i = 0; !stop.get(); i++) {
                String key = prefixes[i % prefixes.length] + i;
                try {
                    HttpResponse<byte[]> r = send("PUT", "/v1/kv/" + key, "v" + i);
                    if (r.statusCode() == 200) {
                        acked.put(key, "v" + i);
                    } else {
                        unacknowledged.incrementAndGet();
                    }
                } catch (Exception e) {
                    unacknowledged.incrementAndGet();
                }
            }
        }, name);
    }

    /** What an {@code omendb admin} run printed, and its exit code. */
    record CliRun(int exitCode, String stdout, String stderr) {
    }

    /**
     * {@code omendb admin ARGS} in a JVM of its own against this process, as user admin (password through {@code
     * OMENDB_PASSWORD}); its output in files under {@code tmp}.
     */
    CliRun admin(Path tmp, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), OmenDbCli.class.getName(), "admin"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--url", "http://127.0.0.1:" + httpPort, "--user", "admin"));
        Path out = Files.createTempFile(tmp, "admin", ".out");
        Path err = Files.createTempFile(tmp, "admin", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put(AdminCommand.PASSWORD_ENV, adminPassword);
        Process p = pb.start();
        assertTrue(p.waitFor(ADMIN_WAIT_SECONDS, TimeUnit.SECONDS), "omendb admin did not finish");
        return new CliRun(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    static String body(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    static JsonNode json(HttpResponse<byte[]> r) throws IOException {
        return JSON.readTree(r.body());
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
