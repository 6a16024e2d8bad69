package io.omendb.raft;

import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.config.OmenConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * N OmenNodes in one JVM on loopback, each under {@code <root>/<node id>}: the {@code local} mode and the in-JVM
 * multi-node tests. Node ids are {@code n1..nN}; Raft and HTTP ports are picked free at start. Every other setting
 * comes from the template config; {@link #join} adds a node that joins the running cluster. Not thread-safe: driven by
 * one thread.
 */
public final class LocalCluster implements AutoCloseable {
    private final Map<String, OmenConfig> configs = new LinkedHashMap<>();
    private final Map<String, OmenNode> running = new LinkedHashMap<>();
    private final Path root;

    private LocalCluster(Path root) {
        this.root = root;
    }

    public static LocalCluster start(Path root, int nodes, int replicationFactor, OmenConfig template)
            throws IOException {
        return start(root, nodes, replicationFactor, template, (id, config) -> config);
    }

    /** As above, with {@code perNode} adjusting each node's config (e.g. its TLS files) before it starts. */
    public static LocalCluster start(Path root, int nodes, int replicationFactor, OmenConfig template,
                                     BiFunction<String, OmenConfig, OmenConfig> perNode) throws IOException {
        return start(root, nodes, replicationFactor, template, perNode, true);
    }

    /**
     * As above; {@code recordDescriptors == false} starts the nodes as builds before range descriptors did (nodes
     * started later with {@link #startNode} record them: the upgrade).
     */
    static LocalCluster start(Path root, int nodes, int replicationFactor, OmenConfig template,
                              BiFunction<String, OmenConfig, OmenConfig> perNode, boolean recordDescriptors)
            throws IOException {
        LocalCluster c = new LocalCluster(root);
        List<OmenConfig.Member> members = new ArrayList<>();
        int[] ports = freePorts(2 * nodes);
        for (int i = 0; i < nodes; i++) {
            members.add(new OmenConfig.Member("n" + (i + 1), "127.0.0.1:" + ports[2 * i], "127.0.0.1:" + ports[2 * i + 1]));
        }
        for (int i = 0; i < nodes; i++) {
            OmenConfig.Member m = members.get(i);
            OmenConfig.Cluster cluster = new OmenConfig.Cluster(m.id(), replicationFactor, members,
                    template.cluster().initialSplitPoints());
            OmenConfig.Database db = new OmenConfig.Database(template.database().name(), root.resolve(m.id()),
                    template.database().logLevel());
            OmenConfig.Http http = new OmenConfig.Http("127.0.0.1", ports[2 * i + 1], template.http().maxConnections());
            c.configs.put(m.id(), perNode.apply(m.id(), template.withDatabase(db).withHttp(http).withCluster(cluster)));
        }
        try {
            for (String id : c.configs.keySet()) {
                c.startNode(id, recordDescriptors);
            }
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * Starts a node that joins the running cluster ({@code [cluster] join = true}) under {@code <root>/<id>}, on free
     * ports, its file listing the first node's members and then itself; no other node's config changes. It is one of
     * {@link #nodeIds()} from then on (restarted by {@link #restartAll}).
     */
    public OmenNode join(String id) throws IOException {
        if (configs.containsKey(id)) {
            throw new IllegalArgumentException("node " + id + " exists already");
        }
        OmenConfig first = configOf(nodeIds().get(0));
        int[] ports = freePorts(2);
        List<OmenConfig.Member> members = new ArrayList<>(first.cluster().members());
        members.add(new OmenConfig.Member(id, "127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]));
        OmenConfig.Cluster cluster = new OmenConfig.Cluster(id, first.cluster().replicationFactor(), members,
                first.cluster().initialSplitPoints(), true);
        OmenConfig.Database db = new OmenConfig.Database(first.database().name(), root.resolve(id),
                first.database().logLevel());
        OmenConfig.Http http = new OmenConfig.Http("127.0.0.1", ports[1], first.http().maxConnections());
        configs.put(id, first.withDatabase(db).withHttp(http).withCluster(cluster));
        try {
            return startNode(id);
        } catch (IOException | RuntimeException e) {
            configs.remove(id);
            throw e;
        }
    }

    public OmenNode startNode(String id) throws IOException {
        return startNode(id, true);
    }

    private OmenNode startNode(String id, boolean recordDescriptors) throws IOException {
        if (running.containsKey(id)) {
            throw new IllegalStateException("node " + id + " is already running");
        }
        OmenConfig config = configOf(id);
        OmenNode node = OmenNode.start(config, Clock.systemUTC(), OmenNode.defaultMemtableBudgetBytes(config),
                recordDescriptors);
        running.put(id, node);
        return node;
    }

    /** Stops every node, then starts every node again (a full-cluster restart from the same data directories). */
    public void restartAll() throws IOException {
        for (String id : nodeIds()) {
            stopNode(id);
        }
        for (String id : nodeIds()) {
            startNode(id);
        }
    }

    public void stopNode(String id) throws IOException {
        OmenNode node = running.remove(id);
        if (node != null) {
            node.close();
        }
    }

    public OmenConfig configOf(String id) {
        OmenConfig c = configs.get(id);
        if (c == null) {
            throw new IllegalArgumentException("no node " + id);
        }
        return c;
    }

    public List<String> nodeIds() {
        return List.copyOf(configs.keySet());
    }

    public OmenNode node(String id) {
        return running.get(id);
    }

    /** A client that knows every member; stale reads without an explicit replica go to {@code preferredReplica}. */
    public ClusterClient newClient(String preferredReplica) {
        ClientOptions base = ClientOptions.from(configOf(nodeIds().get(0)));
        return ClusterClient.connect(new ClientOptions(base.database(), base.members(), base.metaPeers(), base.replicationFactor(), base.limits(),
                base.commandBytesMax(), base.requestTimeoutMs(), base.retryAttemptsMax(), base.adminCallTimeoutMs(),
                base.outstandingRequestsMax(), preferredReplica, base.tlsOrNull(), base.groupCommit(), null));
    }

    /** Reserves distinct free loopback ports (all held open together, then released). */
    public static int[] freePorts(int n) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                s.setReuseAddress(true);
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // best effort: the port is free again either way
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (String id : new ArrayList<>(running.keySet())) {
            try {
                stopNode(id);
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
