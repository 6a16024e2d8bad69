package io.omendb.benchcluster;

import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.methods.HttpPut;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.util.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * OmenDB as a user runs it: {@value #NODES} {@code node} processes of the packaged app jar, one Raft
 * replica of every range on each, {@code rangeCount} ranges split evenly over the key space, fsync on every
 * Raft log append (the default {@code [wal] sync_on_write = true}), auth off. Driven over HTTP/1.1 with
 * {@code java.net.http}; each client thread sticks to one node (round-robin over threads), which forwards to
 * the range leader like any router does. The client is Apache HttpClient 5 (classic, blocking, one pooled
 * keep-alive connection per client thread): the JDK's {@code java.net.http} client spent more CPU per request
 * than the servers it measured on this 2-core machine.
 *
 * <p>Two ways of choosing the node, two target names: {@code omendb} ({@link Routing#ANY_NODE}) is a client
 * behind a load balancer, each thread on one node whatever the key; {@code omendb-leader}
 * ({@link Routing#RANGE_LEADER}) is a range-aware client like RheaKV's, sending each key to the node that leads its
 * range, as read from {@code GET /admin/ranges} every {@value #LEADERS_REFRESH_MS} ms ({@link LeaderDirectory}).
 *
 * <p>The jar and its {@code lib/} are copied into the work directory before start, so a concurrent rebuild
 * of {@code app/target} cannot change the code under a running benchmark.
 *
 * <p>Leaders and replicas stay where the benchmark puts them ({@code [placement] leader_balance_interval_s = 0})
 * unless it asks for a placement round every so many seconds; then nodes may also {@link #join} the running
 * cluster (docs/OPERATIONS.md "Adding a node"), each with a file naming the {@value #NODES} configured members, then
 * itself, and {@code join = true}. Client threads stay on the configured members (a load balancer whose list was not
 * updated); a joined node is reached through them.
 */
final class OmenDbTarget implements KvTarget {
    static final int NODES = 3;
    private static final String MAIN = "io.omendb.app.OmenDbCli";
    static final long READY_TIMEOUT_MS = 180_000;
    /** Pooled connections at most: more than any sensible --clients. */
    private static final int CONNECTIONS_MAX = 4096;
    static final long LEADERS_REFRESH_MS = 500;
    /**
     * The nodes' {@code [ranges]} section unless a benchmark asks for another: the layout a benchmark measures is its
     * own, so no automatic splits or merges.
     */
    static final List<String> FIXED_RANGES = List.of("split_size_mb=0", "split_load_ops_per_s=0", "merge_size_mb=0");

    /** How a request's node is chosen. */
    enum Routing {
        /** Each client thread sticks to one node (round-robin over threads). */
        ANY_NODE,
        /** Each key goes to the node leading its range (when known; else as {@link #ANY_NODE}). */
        RANGE_LEADER
    }

    private final Path appTarget;
    private final KeySpace keys;
    private final int rangeCount;
    private final String jvmOptions;
    private final Duration opTimeout;
    private final List<String> performance;
    private final List<String> ranges;
    private final Routing routing;
    private final long readyTimeoutMs;
    private final int leaderBalanceIntervalS;
    private final LeaderDirectory leaders;
    private final ScheduledExecutorService leadersRefresh = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("omendb-leaders-refresh"));
    private final ChildProcesses children = new ChildProcesses();
    private final List<HttpHost> hosts = new ArrayList<>();
    private int[] raftPorts = new int[0];
    private int[] httpPorts = new int[0];
    private int[] metricsPorts = new int[0];
    private Path workDir;
    private String classpath;
    private CloseableHttpClient httpClient;
    private final AtomicInteger nextNode = new AtomicInteger();
    private final ThreadLocal<Integer> nodeOfThread = ThreadLocal.withInitial(
            () -> Math.floorMod(nextNode.getAndIncrement(), NODES));

    /**
     * @param performance    extra {@code key=value} lines of the nodes' {@code [performance]} section
     * @param readyTimeoutMs how long {@link #start} waits for every node's {@code GET /ready} (every range led)
     */
    OmenDbTarget(Path appTarget, KeySpace keys, int rangeCount, String jvmOptions, Duration opTimeout,
                 List<String> performance, Routing routing, long readyTimeoutMs) {
        this(appTarget, keys, rangeCount, jvmOptions, opTimeout, performance, FIXED_RANGES, routing, readyTimeoutMs);
    }

    /**
     * @param ranges the nodes' {@code [ranges]} section as {@code key=value} lines (instead of {@link #FIXED_RANGES})
     */
    OmenDbTarget(Path appTarget, KeySpace keys, int rangeCount, String jvmOptions, Duration opTimeout,
                 List<String> performance, List<String> ranges, Routing routing, long readyTimeoutMs) {
        this(appTarget, keys, rangeCount, jvmOptions, opTimeout, performance, ranges, routing, readyTimeoutMs, 0);
    }

    /**
     * @param leaderBalanceIntervalS the nodes' {@code [placement] leader_balance_interval_s}: 0 keeps leaders and
     *                               replicas where they are; more lets the placement driver move them (and is what a
     *                               node that {@link #join}s needs to be given any)
     */
    OmenDbTarget(Path appTarget, KeySpace keys, int rangeCount, String jvmOptions, Duration opTimeout,
                 List<String> performance, List<String> ranges, Routing routing, long readyTimeoutMs,
                 int leaderBalanceIntervalS) {
        if (rangeCount < 1 || leaderBalanceIntervalS < 0) {
            throw new IllegalArgumentException("ranges must be >= 1 and leader_balance_interval_s >= 0, got "
                    + rangeCount + " and " + leaderBalanceIntervalS);
        }
        this.appTarget = appTarget;
        this.keys = keys;
        this.rangeCount = rangeCount;
        this.jvmOptions = jvmOptions;
        this.opTimeout = opTimeout;
        this.performance = settings("--omendb-performance", performance);
        this.ranges = settings("[ranges]", ranges);
        this.routing = routing;
        this.readyTimeoutMs = readyTimeoutMs;
        this.leaderBalanceIntervalS = leaderBalanceIntervalS;
        this.leaders = new LeaderDirectory(keys.splitPoints(rangeCount), NODES);
    }

    private static List<String> settings(String what, List<String> lines) {
        for (String setting : lines) {
            if (!setting.matches("[a-z_]+=[A-Za-z0-9_.\"-]+")) {
                throw new IllegalArgumentException(what + " wants key=value, got '" + setting + "'");
            }
        }
        return List.copyOf(lines);
    }

    @Override
    public String name() {
        return routing == Routing.ANY_NODE ? "omendb" : "omendb-leader";
    }

    @Override
    public void start(Path workDir) throws Exception {
        this.workDir = workDir;
        classpath = copyDistribution(workDir.resolve("dist"));
        int[] raft = new int[NODES];
        int[] http = new int[NODES];
        int[] metrics = new int[NODES];
        for (int i = 0; i < NODES; i++) {
            raft[i] = ChildProcesses.freePort();
            http[i] = ChildProcesses.freePort();
            metrics[i] = ChildProcesses.freePort();
        }
        raftPorts = raft.clone();
        httpPorts = http.clone();
        metricsPorts = metrics.clone();
        httpClient = HttpClients.custom().setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnTotal(CONNECTIONS_MAX).setMaxConnPerRoute(CONNECTIONS_MAX)
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.ofSeconds(5)).setSocketTimeout(Timeout.of(opTimeout)).build())
                        .build())
                .disableAutomaticRetries().disableCookieManagement().disableRedirectHandling().build();
        for (int i = 0; i < NODES; i++) {
            startNode(i);
        }
        long deadline = System.currentTimeMillis() + readyTimeoutMs;
        for (int i = 0; i < NODES; i++) {
            awaitStatus(i, "/ready", deadline);
        }
        if (routing == Routing.RANGE_LEADER) {
            leadersRefresh.scheduleWithFixedDelay(this::refreshLeaders, 0, LEADERS_REFRESH_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** Writes node {@code i}'s file (its ports are in the port arrays) and starts its process. */
    private void startNode(int i) throws IOException {
        Path config = workDir.resolve("n" + (i + 1) + ".toml");
        Files.writeString(config, nodeConfig(i, workDir.resolve("data-n" + (i + 1)), raftPorts, httpPorts,
                metricsPorts));
        List<String> command = new ArrayList<>();
        command.add(ChildProcesses.javaBinary());
        command.addAll(List.of(jvmOptions.trim().split("\\s+")));
        command.addAll(List.of("-cp", classpath, MAIN, "node", "--config", config.toString()));
        children.start("omendb-n" + (i + 1), command, workDir, Map.of("OMENDB_AUTH_DISABLED", "true"));
        hosts.add(new HttpHost("127.0.0.1", httpPorts[i]));
    }

    /**
     * Starts {@code count} more nodes, n4 on, that join the running cluster ({@code join = true}), and waits until each
     * answers {@code GET /health}; the placement driver then gives them replicas and leaders at its next rounds.
     *
     * @return the new nodes' ids
     */
    List<String> join(int count) throws Exception {
        if (leaderBalanceIntervalS == 0) {
            throw new IllegalStateException("a joined node gets nothing with leader_balance_interval_s = 0");
        }
        int first = hosts.size();
        raftPorts = Arrays.copyOf(raftPorts, first + count);
        httpPorts = Arrays.copyOf(httpPorts, first + count);
        metricsPorts = Arrays.copyOf(metricsPorts, first + count);
        List<String> ids = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            raftPorts[i] = ChildProcesses.freePort();
            httpPorts[i] = ChildProcesses.freePort();
            metricsPorts[i] = ChildProcesses.freePort();
            startNode(i);
            ids.add("n" + (i + 1));
        }
        long deadline = System.currentTimeMillis() + readyTimeoutMs;
        for (int i = first; i < first + count; i++) {
            awaitStatus(i, "/health", deadline);
        }
        return ids;
    }

    /** Reads the range leaders from the next node in turn; a failed read keeps the last known leaders. */
    private void refreshLeaders() {
        try {
            Reply r = send(Math.floorMod(nextNode.getAndIncrement(), NODES), new HttpGet("/admin/ranges"));
            if (r.status() == 200) {
                leaders.update(new String(r.body(), StandardCharsets.UTF_8));
            }
        } catch (IOException | RuntimeException e) {
            // a node restarting or busy; the next refresh asks another one
        }
    }

    private String copyDistribution(Path dist) throws IOException {
        Path jar;
        try (Stream<Path> files = Files.list(appTarget)) {
            jar = files.filter(p -> p.getFileName().toString().matches("app-.*\\.jar"))
                    .filter(p -> !p.getFileName().toString().matches(".*-(sources|tests)\\.jar"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no app jar in " + appTarget
                            + "; build it: mvn -q -pl app -am package -DskipTests"));
        }
        Path lib = appTarget.resolve("lib");
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException("no " + lib + "; build it: mvn -q -pl app -am package -DskipTests");
        }
        Files.createDirectories(dist.resolve("lib"));
        Files.copy(jar, dist.resolve("app.jar"), StandardCopyOption.REPLACE_EXISTING);
        try (Stream<Path> libs = Files.list(lib)) {
            for (Path p : (Iterable<Path>) libs::iterator) {
                Files.copy(p, dist.resolve("lib").resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dist.resolve("app.jar") + ":" + dist.resolve("lib") + "/*";
    }

    String nodeConfig(int node, Path dataDir, int[] raft, int[] http, int[] metrics) {
        StringBuilder toml = new StringBuilder();
        toml.append("[database]\nname = \"bench\"\ndata_dir = \"").append(dataDir).append("\"\n\n");
        toml.append("[http]\nbind_address = \"127.0.0.1\"\nport = ").append(http[node]).append("\n\n");
        toml.append("[security]\nauth_enabled = false\n\n");
        toml.append("[monitoring]\nmetrics_bind_address = \"127.0.0.1\"\nmetrics_port = ")
                .append(metrics[node]).append("\n\n");
        toml.append("[wal]\nsync_on_write = true\n\n");
        appendSection(toml, "ranges", ranges);
        // Leaders stay where the benchmark puts them.
        toml.append("[placement]\nleader_balance_interval_s = ").append(leaderBalanceIntervalS).append("\n\n");
        appendSection(toml, "performance", performance);
        toml.append("[cluster]\nnode_id = \"n").append(node + 1).append("\"\nreplication_factor = ").append(NODES)
                .append("\ninitial_split_points = [");
        List<String> points = keys.splitPoints(rangeCount);
        for (int i = 0; i < points.size(); i++) {
            toml.append(i == 0 ? "" : ", ").append('"').append(points.get(i)).append('"');
        }
        toml.append("]\n");
        if (node >= NODES) {
            toml.append("join = true\n");
        }
        for (int i = 0; i < NODES; i++) {
            appendMember(toml, i, raft, http);
        }
        if (node >= NODES) {
            appendMember(toml, node, raft, http);
        }
        return toml.toString();
    }

    private static void appendMember(StringBuilder toml, int i, int[] raft, int[] http) {
        toml.append("\n[[cluster.members]]\nid = \"n").append(i + 1).append("\"\nraft_address = \"127.0.0.1:")
                .append(raft[i]).append("\"\nhttp_address = \"127.0.0.1:").append(http[i]).append("\"\n");
    }

    private static void appendSection(StringBuilder toml, String section, List<String> settings) {
        if (!settings.isEmpty()) {
            toml.append('[').append(section).append("]\n");
            settings.forEach(kv -> toml.append(kv.replaceFirst("=", " = ")).append('\n'));
            toml.append('\n');
        }
    }

    /** Waits until node {@code i} answers {@code GET path} with 200; fails past {@code deadline} (epoch ms). */
    private void awaitStatus(int i, String path, long deadline) throws Exception {
        while (true) {
            children.checkAlive();
            try {
                if (send(i, new HttpGet(path)).status() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("OmenDB node n" + (i + 1) + " not answering " + path + " after "
                        + readyTimeoutMs + " ms\n" + children.tails());
            }
            Thread.sleep(250);
        }
    }

    /** The node for a request on {@code key}: its range leader's when routing by leader and known. */
    private int node(byte[] key) {
        int leader = routing == Routing.RANGE_LEADER ? leaders.nodeFor(key) : -1;
        return leader >= 0 ? leader : nodeOfThread.get();
    }

    /** An HTTP answer: its status and body. */
    record Reply(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** {@code POST pathAndQuery} (an admin call) to node n1, which forwards it like any router; any status. */
    Reply adminPost(String pathAndQuery) throws IOException {
        return send(0, new HttpPost(pathAndQuery));
    }

    /** {@code GET pathAndQuery} (an admin listing) from node n1; any status. */
    Reply adminGet(String pathAndQuery) throws IOException {
        return send(0, new HttpGet(pathAndQuery));
    }

    private Reply send(int node, ClassicHttpRequest request) throws IOException {
        return httpClient.execute(hosts.get(node), request, r -> new Reply(r.getCode(),
                r.getEntity() == null ? new byte[0] : EntityUtils.toByteArray(r.getEntity())));
    }

    private static void expect(Reply r, int... statuses) {
        for (int s : statuses) {
            if (r.status() == s) {
                return;
            }
        }
        throw new IllegalStateException("HTTP " + r.status() + ": " + new String(r.body(), StandardCharsets.UTF_8));
    }

    @Override
    public void put(byte[] key, byte[] value) throws Exception {
        HttpPut put = new HttpPut("/v1/kv/" + ascii(key));
        put.setEntity(new ByteArrayEntity(value, ContentType.APPLICATION_OCTET_STREAM));
        expect(send(node(key), put), 200);
    }

    @Override
    public boolean get(byte[] key) throws Exception {
        Reply r = send(node(key), new HttpGet("/v1/kv/" + ascii(key)));
        expect(r, 200, 404);
        return r.status() == 200;
    }

    @Override
    public int scan(byte[] start, byte[] end, int limit) throws Exception {
        Reply r = send(node(start), new HttpGet("/v1/scan?start=" + ascii(start) + "&end=" + ascii(end) + "&limit=" + limit));
        expect(r, 200);
        String body = new String(r.body(), StandardCharsets.UTF_8);
        int count = 0;
        for (int i = body.indexOf("\"key\":"); i >= 0; i = body.indexOf("\"key\":", i + 1)) {
            count++;
        }
        return count;
    }

    @Override
    public void putAll(List<byte[]> batchKeys, byte[] value) throws Exception {
        StringBuilder json = new StringBuilder(batchKeys.size() * (value.length + 48)).append("{\"ops\":[");
        String v = ascii(value);
        for (int i = 0; i < batchKeys.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"op\":\"put\",\"key\":\"").append(ascii(batchKeys.get(i)))
                    .append("\",\"value\":\"").append(v).append("\"}");
        }
        json.append("]}");
        HttpPost post = new HttpPost("/v1/batch");
        post.setEntity(new StringEntity(json.toString(), ContentType.APPLICATION_JSON));
        expect(send(node(batchKeys.get(0)), post), 200);
    }

    /** Benchmark keys and values are printable ASCII without '%', '?', '#', '"' or '\', safe in URLs and JSON. */
    private static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** The range leaders, read from {@code /admin/ranges} now (the {@code omendb} target does not poll them). */
    @Override
    public Optional<String> layout() {
        refreshLeaders();
        return Optional.of("range leaders " + leaders.describe());
    }

    @Override
    public List<Long> pids() {
        return children.pids();
    }

    /** The nodes' Raft ports, n1 first (empty before {@link #start}). */
    int[] raftPorts() {
        return raftPorts.clone();
    }

    @Override
    public void close() {
        leadersRefresh.shutdownNow();
        try {
            if (httpClient != null) {
                httpClient.close();
            }
        } catch (IOException e) {
            // the processes are killed below either way
        } finally {
            children.close();
        }
    }
}
