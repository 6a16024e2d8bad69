package io.omendb.app;

import io.omendb.raft.OmenNode;
import io.omendb.raft.client.ClientOptions;
import io.omendb.config.ConfigException;
import io.omendb.config.OmenConfig;
import io.omendb.router.cluster.DiskFootprint;
import io.omendb.router.security.SecurityReloader;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code omendb node --config FILE}: one storage node, and the HTTP router inside the same process (on
 * {@code [http]}, with metrics on {@code [monitoring]}) unless {@code --no-router}. Stops cleanly on
 * SIGTERM/SIGINT with exit code 0; SIGHUP reloads the users, roles and TLS files ({@link ReloadSignal}).
 */
@CommandLine.Command(name = "node", mixinStandardHelpOptions = true,
        description = "Run one storage node (with the HTTP router inside it)")
final class NodeCommand implements Callable<Integer> {
    @CommandLine.Option(names = "--config", required = true, description = "path of omendb.toml")
    Path config;

    @CommandLine.Option(names = "--no-router", description = "do not serve the HTTP API from this node")
    boolean noRouter;

    @Override
    public Integer call() throws Exception {
        OmenConfig cfg = ConfigFile.loadForCommand(config);
        if (cfg == null) {
            return OmenDbCli.EXIT_CONFIG;
        }
        StopSignal stop = StopSignal.install();
        try (Closer closer = new Closer()) {
            try {
                OmenNode node = closer.register(OmenNode.start(cfg));
                if (!noRouter) {
                    ClientOptions clientOptions = ClientOptions.from(cfg, node.tlsOrNull())
                            .withLocalServer(node.localServer());
                    RouterService router = closer.register(RouterService.start(cfg, clientOptions,
                            new DiskFootprint(List.of(cfg.database().dataDir()), System::nanoTime),
                            node::replicaMetrics, () -> node.placementMetrics().stream().toList()));
                    ReloadSignal.install(router::reloadSecurity);
                    System.out.println(router.describe(cfg.http().bindAddress()));
                } else if (node.tlsOrNull() != null) {
                    SecurityReloader tls = closer.register(SecurityReloader.forTls(node.tlsOrNull(),
                            cfg.security().reloadCheckIntervalS()));
                    ReloadSignal.install(() -> tls.requestReloadAll("SIGHUP"));
                } else {
                    ReloadSignal.install(() -> System.err.println("omendb: SIGHUP: nothing to reload (no router, "
                            + "no TLS)"));
                }
            } catch (ConfigException e) {
                System.err.println("omendb: configuration refused: " + e.getMessage());
                return OmenDbCli.EXIT_CONFIG;
            } catch (Exception e) {
                System.err.println("omendb: node failed to start: " + e);
                return OmenDbCli.EXIT_START_FAILED;
            }
            System.out.println("omendb: node " + cfg.cluster().nodeId() + " ready");
            System.out.flush();
            stop.await();
        }
        return OmenDbCli.EXIT_OK;
    }
}
