package io.omendb.app;

import io.omendb.backup.NodeConfigSource;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Recognises an {@code omendb local} data dir for {@code omendb backup --data-dir DIR}: one that holds
 * {@link LocalLayout#FILE_NAME}. Its nodes' configurations are the ones {@code local} starts them with
 * ({@link LocalCommand#nodeConfigs}, the one derivation), so a restore writes exactly the node dirs, Raft
 * peers and range bounds {@code local} will use on its next start.
 *
 * <p>The HTTP and metrics ports, authentication and log archiving of {@code local} are per start (flags), not part
 * of the data dir; backup and restore use none of them, so the configurations carry the defaults (no archive).
 * Only reads the layout file; never creates one. Stateless.
 */
final class LocalDataDir implements NodeConfigSource {
    @Override
    public Optional<Cluster> clusterIn(Path dir) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve(LocalLayout.FILE_NAME))) {
            return Optional.empty();
        }
        LocalLayout layout = LocalLayout.loadOrCreate(root, null, null, LocalCommand.NODES_DEFAULT,
                LocalCommand.RANGES_DEFAULT);
        OmenConfig defaults = ConfigLoader.defaults();
        List<OmenConfig> nodes = LocalCommand.nodeConfigs(layout, root, defaults.http().port(),
                defaults.monitoring().metricsPort(), null, false);
        return Optional.of(new Cluster(nodes, "stop `omendb local --data-dir " + root + "` first (Ctrl-C or "
                + "SIGTERM)"));
    }
}
