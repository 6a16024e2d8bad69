package io.omendb.dist;

import io.omendb.raft.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The configuration of an OmenDB cluster of {@code bin/omendb node} processes (the unpacked tarball) on loopback:
 * every node on free ports (Raft, HTTP, metrics), auth off, replication factor 3 over four ranges (split at g, n,
 * t), data under the given directory. Node {@code i} (0-based) is {@code n(i+1)}. Starting, stopping and
 * restarting the processes is the test's: {@link #startNode} starts one and returns it.
 */
final class LoopbackCluster {
    /** Heap of each node process: three nodes and the test share a 2-core CI machine. */
    static final String NODE_JAVA_OPTS = "-Xmx384m";

    private final Path dir;
    private final List<Path> configs;
    private final int[] httpPorts;
    private final int[] metricsPorts;

    private LoopbackCluster(Path dir, List<Path> configs, int[] httpPorts, int[] metricsPorts) {
        this.dir = dir;
        this.configs = configs;
        this.httpPorts = httpPorts;
        this.metricsPorts = metricsPorts;
    }

    /** Writes {@code nodes} node configs of database {@code database} into {@code dir}. */
    static LoopbackCluster write(Path dir, String database, int nodes) throws IOException {
        int[] ports = LocalCluster.freePorts(3 * nodes);
        int[] http = new int[nodes];
        int[] metrics = new int[nodes];
        StringBuilder members = new StringBuilder();
        for (int i = 0; i < nodes; i++) {
            http[i] = ports[3 * i + 1];
            metrics[i] = ports[3 * i + 2];
            members.append("""
                    [[cluster.members]]
                    id = "n%d"
                    raft_address = "127.0.0.1:%d"
                    http_address = "127.0.0.1:%d"
                    """.formatted(i + 1, ports[3 * i], http[i]));
        }
        List<Path> configs = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            Path c = dir.resolve("n" + (i + 1) + ".toml");
            Files.writeString(c, """
                    [database]
                    name = "%s"
                    data_dir = "%s"
                    [http]
                    bind_address = "127.0.0.1"
                    port = %d
                    [monitoring]
                    metrics_bind_address = "127.0.0.1"
                    metrics_port = %d
                    [security]
                    auth_enabled = false
                    [cluster]
                    node_id = "n%d"
                    replication_factor = 3
                    initial_split_points = ["g", "n", "t"]
                    """.formatted(database, dir.resolve("data-n" + (i + 1)), http[i], metrics[i], i + 1) + members);
            configs.add(c);
        }
        return new LoopbackCluster(dir, List.copyOf(configs), http, metrics);
    }

    int size() {
        return configs.size();
    }

    Path config(int node) {
        return configs.get(node);
    }

    int metricsPort(int node) {
        return metricsPorts[node];
    }

    /** {@code http://127.0.0.1:PORT} of the node's HTTP API. */
    String base(int node) {
        return "http://127.0.0.1:" + httpPorts[node];
    }

    /** Starts node {@code node} from {@code home}; its output goes to {@code n<id>-<phase>.log}. */
    ServerProcess startNode(Path home, int node, String phase) throws IOException {
        String id = "n" + (node + 1);
        return ServerProcess.start(id, List.of(home.resolve("bin/omendb").toString(), "node", "--config",
                configs.get(node).toString()), Map.of("JAVA_OPTS", NODE_JAVA_OPTS), dir.resolve(id + "-" + phase + ".log"));
    }
}
