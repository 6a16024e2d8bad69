package io.omendb.benchcluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options of a benchmark main that runs one 3-node OmenDB cluster from the packaged jar ({@link OmenDbTarget},
 * each client thread on one node): the client's request timeout, how long to wait for the cluster to serve,
 * the nodes' JVM options and where {@code app/target} is. A picocli mixin, so every such main spells them alike.
 */
final class ClusterNodeOptions {
    @Option(names = "--op-timeout-s", defaultValue = "30",
            description = "Client timeout of a request (a write, an admin call), seconds (default: ${DEFAULT-VALUE}).")
    int opTimeoutSeconds;
    @Option(names = "--ready-timeout-s", defaultValue = "300",
            description = "Seconds to wait for the cluster to serve (default: ${DEFAULT-VALUE}).")
    int readyTimeoutSeconds;
    @Option(names = "--node-jvm-opts", defaultValue = "-Xms1g -Xmx2g",
            description = "JVM options of each node (default: ${DEFAULT-VALUE}).")
    String nodeJvmOptions;
    @Option(names = "--omendb-home", defaultValue = "${sys:omendb.home:-.}",
            description = "Repository root holding app/target (default: the launcher's).")
    Path omendbHome;

    boolean valid() {
        return opTimeoutSeconds >= 1 && readyTimeoutSeconds >= 1;
    }

    /** The cluster with {@code rangeCount} even ranges and the nodes' {@code [ranges]} section {@code ranges}. */
    OmenDbTarget target(KeySpace keys, int rangeCount, List<String> ranges) {
        return target(keys, rangeCount, ranges, 0);
    }

    /** As {@link #target(KeySpace, int, List)}, with a placement round every {@code leaderBalanceIntervalS} s. */
    OmenDbTarget target(KeySpace keys, int rangeCount, List<String> ranges, int leaderBalanceIntervalS) {
        return new OmenDbTarget(omendbHome.resolve("app/target"), keys, rangeCount, nodeJvmOptions,
                Duration.ofSeconds(opTimeoutSeconds), List.of(), ranges, OmenDbTarget.Routing.ANY_NODE,
                readyTimeoutSeconds * 1000L, leaderBalanceIntervalS);
    }
}
