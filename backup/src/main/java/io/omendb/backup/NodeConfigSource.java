package io.omendb.backup;

import io.omendb.config.ConfigException;
import io.omendb.config.OmenConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The node configurations of a whole cluster kept under one directory, for {@code backup --data-dir DIR} given
 * without {@code --config}: {@code omendb local} keeps every node's data dir and the layout their configurations
 * derive from under its {@code --data-dir}. The backup module does not know that layout (it must not depend on the
 * app module that owns it); the composition root supplies an implementation, and {@link #NONE} knows no such
 * directory (the standalone tool).
 *
 * <p>Implementations only read: they never create or change anything under the directory.
 */
@FunctionalInterface
public interface NodeConfigSource {
    /** Knows no cluster directory: every {@code --data-dir} is one node's data dir. */
    NodeConfigSource NONE = dir -> Optional.empty();

    /**
     * The cluster kept under {@code dir}, or empty when {@code dir} is not such a directory (e.g. one node's own
     * data dir, or a directory that does not exist).
     *
     * @throws IOException     when {@code dir} is such a directory but its layout cannot be read
     * @throws ConfigException when {@code dir} is such a directory but its layout is refused
     */
    Optional<Cluster> clusterIn(Path dir) throws IOException;

    /**
     * @param nodes      every node's configuration, in node order (each names its own data dir under the directory)
     * @param ifRunning  what the operator must do when the cluster is found running, e.g. "stop `omendb local
     *                   --data-dir DIR` first (Ctrl-C or SIGTERM)"
     */
    record Cluster(List<OmenConfig> nodes, String ifRunning) {
        public Cluster {
            if (nodes.isEmpty()) {
                throw new IllegalArgumentException("a cluster has at least one node");
            }
            nodes = List.copyOf(nodes);
        }
    }
}
