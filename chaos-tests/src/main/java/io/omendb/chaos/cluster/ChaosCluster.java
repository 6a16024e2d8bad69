package io.omendb.chaos.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A cluster of {@link NodeProcess}es started from the packaged app jar, one per network namespace, plus the
 * admin views the harness needs ({@code /ready}, {@code /admin/ranges}). Every node serves the HTTP API.
 *
 * <p><b>Membership.</b> The configured members start with the cluster and stay (they hold the meta group); spare
 * slots ({@link ClusterSpec#spares}) hold nodes that join it later ({@link #join}). {@link #nodes()} is the members now: a node leaves the list when it is
 * retired ({@link #retire}: decommissioned and stopped, or killed for good). A retired slot that was decommissioned
 * may join again on an empty data directory (the id is reused); one killed for good never does (the cluster records it
 * dead).
 *
 * <p>Owns its nodes and the network: {@link #close()} kills every node (also stopped and retired ones) and tears the
 * network down; it is safe to call twice. Thread-safe: nodes synchronize themselves, membership changes are
 * synchronized on the cluster.
 */
public final class ChaosCluster implements AutoCloseable {
    public static final String MAIN_CLASS = "io.omendb.app.OmenDbCli";
    static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(10);
    static final long READY_POLL_MS = 250;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClusterSpec spec;
    private final ChaosNetwork network;
    /** Every slot, configured members first, then spares; never changes. */
    private final List<NodeProcess> slots;
    /** The members now, in the order they became members. */
    private final List<NodeProcess> members;
    /** Slots retired after being killed for good: the cluster records their ids dead, so they never join again. */
    private final Set<NodeProcess> dead = new HashSet<>();
    private final HttpClient http;
    private final Thread shutdownHook = new Thread(this::close, "chaos-cluster-cleanup");

    private ChaosCluster(ClusterSpec spec, ChaosNetwork network, List<NodeProcess> slots) {
        this.spec = spec;
        this.network = network;
        this.slots = List.copyOf(slots);
        this.members = new ArrayList<>(slots.subList(0, spec.nodes()));
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1))
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    /** Writes each slot's omendb.toml under {@code workDir/nI/} and starts every configured member. */
    public static ChaosCluster start(ClusterSpec spec, ChaosNetwork network, Path projectRoot, Path workDir)
            throws IOException {
        String classpath = snapshotProduct(projectRoot, workDir.resolve("product"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < spec.slots(); i++) {
            addresses.add(network.address(i));
        }
        List<NodeProcess> nodes = new ArrayList<>();
        for (int i = 0; i < spec.slots(); i++) {
            Path dir = Files.createDirectories(workDir.resolve("n" + (i + 1)));
            Path data = dir.resolve("data");
            Path config = dir.resolve("omendb.toml");
            String bind = network.mode() == ChaosNetwork.Mode.NAMESPACES ? "0.0.0.0" : addresses.get(i);
            Files.writeString(config, spec.toml(i, data.toString(), addresses, bind));
            List<String> cmd = new ArrayList<>(network.execPrefix(i));
            cmd.addAll(List.of(java, "-Xmx" + spec.nodeHeapMb() + "m", "-XX:+UseSerialGC",
                    "-XX:+ExitOnOutOfMemoryError", "-cp", classpath, MAIN_CLASS, "node", "--config",
                    config.toString()));
            nodes.add(new NodeProcess(i, "n" + (i + 1), addresses.get(i), data, dir.resolve("node.log"), cmd));
        }
        ChaosCluster cluster = new ChaosCluster(spec, network, nodes);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            for (NodeProcess n : cluster.nodes()) {
                n.start();
            }
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /**
     * Copies the packaged product into {@code into} and returns its classpath, so a rebuild of app/target during
     * the run (other builds share the tree) cannot change or break the nodes' code between restarts.
     */
    static String snapshotProduct(Path projectRoot, Path into) throws IOException {
        String[] parts = classpath(projectRoot).split(java.io.File.pathSeparator);
        Path jar = Path.of(parts[0]);
        Path lib = Path.of(parts[1].substring(0, parts[1].length() - 2));
        Path libCopy = Files.createDirectories(into.resolve("lib"));
        Files.copy(jar, into.resolve(jar.getFileName()));
        try (var files = Files.list(lib)) {
            for (Path f : files.toList()) {
                Files.copy(f, libCopy.resolve(f.getFileName()));
            }
        }
        return into.resolve(jar.getFileName()) + java.io.File.pathSeparator + libCopy + "/*";
    }

    /** {@code app/target/app-*.jar} and {@code app/target/lib/*}: what {@code bin/omendb} runs. */
    static String classpath(Path projectRoot) throws IOException {
        Path target = projectRoot.resolve("app").resolve("target");
        Path lib = target.resolve("lib");
        Optional<Path> jar;
        try (var files = Files.list(target)) {
            jar = files.filter(p -> p.getFileName().toString().matches("app-.*\\.jar")
                    && !p.getFileName().toString().endsWith("-sources.jar")
                    && !p.getFileName().toString().endsWith("-tests.jar")).findFirst();
        } catch (java.nio.file.NoSuchFileException e) {
            jar = Optional.empty();
        }
        if (jar.isEmpty() || !Files.isDirectory(lib)) {
            throw new IllegalStateException("the packaged app is missing under " + target
                    + ": run `mvn -pl app -am package -DskipTests` (mvn verify builds it before chaos-tests)");
        }
        return jar.get() + java.io.File.pathSeparator + lib + "/*";
    }

    public ClusterSpec spec() {
        return spec;
    }

    public ChaosNetwork network() {
        return network;
    }

    /** The members now (a copy). */
    public synchronized List<NodeProcess> nodes() {
        return List.copyOf(members);
    }

    /** Every slot, members or not (their logs are kept). */
    public List<NodeProcess> slots() {
        return slots;
    }

    /** The node of {@code id}, member or not. */
    public NodeProcess node(String id) {
        return slots.stream().filter(n -> n.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + id));
    }

    /**
     * Whether {@code node} joined the running cluster (a spare slot) rather than being a configured member. Only joined
     * nodes leave: the configured ones hold the meta group, whose membership does not move yet.
     */
    public boolean joined(NodeProcess node) {
        return node.index() >= spec.nodes();
    }

    /**
     * Starts a node in the first free spare slot, which joins the cluster: a slot never used, or one decommissioned
     * before (its data directory emptied first: it takes its id back as a new member). Empty when no slot is left.
     */
    public synchronized Optional<NodeProcess> join() throws IOException {
        Optional<NodeProcess> slot = slots.subList(spec.nodes(), slots.size()).stream()
                .filter(n -> !members.contains(n) && !dead.contains(n) && !n.alive()).findFirst();
        if (slot.isPresent()) {
            slot.get().wipe();
            slot.get().start();
            members.add(slot.get());
        }
        return slot;
    }

    /**
     * Takes {@code node} out of the members (it must be stopped already); {@code forGood}: it was killed, not
     * decommissioned, so the cluster records its id dead and the slot is never used again.
     */
    public synchronized void retire(NodeProcess node, boolean forGood) {
        if (!joined(node)) {
            throw new IllegalArgumentException(node.id() + " is a configured member (the meta group's): it never leaves");
        }
        if (node.alive()) {
            throw new IllegalStateException("retire " + node.id() + " while it runs");
        }
        members.remove(node);
        if (forGood) {
            dead.add(node);
        }
    }

    public HttpClient http() {
        return http;
    }

    public URI uri(NodeProcess node, String pathAndQuery) {
        return URI.create("http://" + node.address() + ":" + ClusterSpec.HTTP_PORT + pathAndQuery);
    }

    /** Nodes that run and are not stopped. */
    public List<NodeProcess> serving() {
        return nodes().stream().filter(n -> n.alive() && !n.paused()).toList();
    }

    /**
     * Waits until every node runs and answers {@code /ready} with 200 (every range has a reachable leader). Called
     * only when no fault is active: a node that exited is an error (its log tail is in the message).
     */
    public void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            for (NodeProcess n : nodes()) {
                if (!n.alive()) {
                    throw new IllegalStateException(n.id() + " is not running: " + n.exitDescription());
                }
            }
            last = notReady();
            if (last.isEmpty()) {
                return;
            }
            Thread.sleep(READY_POLL_MS);
        }
        throw new IllegalStateException("cluster not ready within " + timeout + ": " + last);
    }

    private String notReady() throws InterruptedException {
        StringBuilder out = new StringBuilder();
        for (NodeProcess n : serving()) {
            try {
                HttpResponse<String> r = get(n, "/ready");
                if (r.statusCode() != 200) {
                    out.append(n.id()).append(": ").append(r.statusCode()).append(' ').append(r.body()).append("; ");
                }
            } catch (IOException e) {
                out.append(n.id()).append(": ").append(e).append("; ");
            }
        }
        return out.toString();
    }

    public HttpResponse<String> get(NodeProcess node, String pathAndQuery) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(node, pathAndQuery)).timeout(ADMIN_TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(NodeProcess node, String pathAndQuery) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(node, pathAndQuery)).timeout(ADMIN_TIMEOUT)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code GET /admin/ranges} from the first serving node that answers. */
    public List<RangeInfo> ranges() throws InterruptedException {
        List<String> errors = new ArrayList<>();
        for (NodeProcess n : serving()) {
            try {
                HttpResponse<String> r = get(n, "/admin/ranges");
                if (r.statusCode() == 200) {
                    return parseRanges(r.body());
                }
                errors.add(n.id() + ": " + r.statusCode());
            } catch (IOException e) {
                errors.add(n.id() + ": " + e);
            }
        }
        throw new IllegalStateException("no node answered /admin/ranges: " + errors);
    }

    /** {@link #ranges()}, asked again every {@link #READY_POLL_MS} while no node answers, up to {@code patience}. */
    public List<RangeInfo> awaitRanges(Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try {
                return ranges();
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(READY_POLL_MS);
            }
        }
    }

    /** The first item's key of a {@code /v1/scan} answer, if it has one. */
    public static Optional<String> firstScannedKey(String body) throws IOException {
        JsonNode items = JSON.readTree(body).get("items");
        return items == null || items.isEmpty() ? Optional.empty() : Optional.of(items.get(0).get("key").asText());
    }

    static List<RangeInfo> parseRanges(String body) throws IOException {
        List<RangeInfo> out = new ArrayList<>();
        for (JsonNode r : JSON.readTree(body).get("ranges")) {
            List<String> peers = new ArrayList<>();
            r.get("peers").forEach(p -> peers.add(p.asText()));
            out.add(new RangeInfo(r.get("id").asLong(), decode(r.get("start")), decode(r.get("end")),
                    r.get("leader").isNull() ? null : r.get("leader").asText(), peers, r.get("applied_index").asLong()));
        }
        return out;
    }

    private static String decode(JsonNode n) {
        return n == null || n.isNull() ? null : URLDecoder.decode(n.asText().replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // called from the hook itself
        }
        for (NodeProcess n : slots) {
            try {
                n.kill9();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                System.err.println("chaos: could not kill " + n + ": " + e.getMessage());
            }
        }
        network.close();
    }
}
