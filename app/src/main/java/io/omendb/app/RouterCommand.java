package io.omendb.app;

import io.omendb.raft.client.ClientOptions;
import io.omendb.config.ConfigException;
import io.omendb.config.OmenConfig;
import io.omendb.router.cluster.DiskFootprint;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code omendb router --config FILE}: the HTTP router alone, reaching the cluster through the members listed in
 * {@code [[cluster.members]]}. It has no disks of its own, so its WAL and index size metrics are 0. Stops
 * cleanly on SIGTERM/SIGINT with exit code 0; SIGHUP reloads the users, roles and TLS files.
 */
@CommandLine.Command(name = "router", mixinStandardHelpOptions = true,
        description = "Run the HTTP router alone, connected to the cluster's members")
final class RouterCommand implements Callable<Integer> {
    @CommandLine.Option(names = "--config", required = true, description = "path of omendb.toml")
    Path config;

    @Override
    public Integer call() throws Exception {
        OmenConfig cfg = ConfigFile.loadForCommand(config);
        if (cfg == null) {
            return OmenDbCli.EXIT_CONFIG;
        }
        StopSignal stop = StopSignal.install();
        try (Closer closer = new Closer()) {
            try {
                RouterService router = closer.register(RouterService.start(cfg, ClientOptions.from(cfg),
                        DiskFootprint.none()));
                ReloadSignal.install(router::reloadSecurity);
                System.out.println(router.describe(cfg.http().bindAddress()));
            } catch (ConfigException e) {
                System.err.println("omendb: configuration refused: " + e.getMessage());
                return OmenDbCli.EXIT_CONFIG;
            } catch (Exception e) {
                System.err.println("omendb: router failed to start: " + e);
                return OmenDbCli.EXIT_START_FAILED;
            }
            System.out.flush();
            stop.await();
        }
        return OmenDbCli.EXIT_OK;
    }
}
