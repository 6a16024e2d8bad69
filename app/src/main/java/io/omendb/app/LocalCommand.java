package io.omendb.app;

import io.omendb.raft.OmenNode;
import io.omendb.raft.client.ClientOptions;
import io.omendb.config.ConfigException;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import io.omendb.router.cluster.DiskFootprint;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code omendb local}: N Raft peers (real Ratis, real disk, loopback ports) in this JVM, pre-split into ranges,
 * plus the router and the metrics endpoint. Node {@code nI} keeps its files in {@code <data-dir>/nI}; the layout
 * (ports, counts) in {@code <data-dir>/local-cluster.properties}, so starting again on the same data dir keeps
 * the data. Prints its URL once it can serve (every range has a leader), so a request sent on seeing it is
 * answered. Stops cleanly on SIGTERM/SIGINT with exit code 0; SIGHUP reloads the users and roles files.
 *
 * <p><b>Authentication is on</b> (unless {@code --no-auth} or {@code OMENDB_AUTH_DISABLED=true}): the first start
 * creates user {@code admin} (roles read, write, admin) with a generated password, keeps its bcrypt hash in
 * {@code <data-dir>/users.htpasswd} (roles in {@code roles.txt}) and prints the password once.
 */
@CommandLine.Command(name = "local", mixinStandardHelpOptions = true,
        description = "Run a whole cluster (N nodes + router + metrics) in one process")
final class LocalCommand implements Callable<Integer> {
    static final int NODES_DEFAULT = 3;
    static final int RANGES_DEFAULT = 4;
    static final String HOST = "127.0.0.1";
    /** How long start-up waits for every range to have a leader (three nodes took 35 s on a loaded 2-core machine). */
    static final long READY_WAIT_MS = 120_000;
    static final long READY_POLL_MS = 100;

    @CommandLine.Option(names = "--nodes", description = "Raft peers (default 3; fixed once the data dir exists)")
    Integer nodes;

    @CommandLine.Option(names = "--ranges", description = "ranges pre-split, 1..1024 (default 4; fixed once the data dir exists). Up to 26: split"
            + " at single lowercase letters (text keys spread); above: at two-byte prefixes spread over 0x0000..0xffff"
            + " (binary keys spread)")
    Integer ranges;

    @CommandLine.Option(names = "--data-dir", defaultValue = "./data", description = "data directory (default ./data)")
    Path dataDir;

    @CommandLine.Option(names = "--http-port", defaultValue = "3000", description = "HTTP API port (default 3000)")
    int httpPort;

    @CommandLine.Option(names = "--metrics-port", defaultValue = "9090", description = "metrics port (default 9090)")
    int metricsPort;

    @CommandLine.Option(names = "--log-archive-dir", description = "archive every node's committed Raft log here "
            + "for point-in-time restore ([backup] log_archive_dir; default: off)")
    Path logArchiveDir;

    @CommandLine.Option(names = "--no-auth", description = "no authentication (local development only; same as "
            + "OMENDB_AUTH_DISABLED=true)")
    boolean noAuth;

    @Override
    public Integer call() throws Exception {
        Path root = dataDir.toAbsolutePath().normalize();
        List<OmenConfig> configs;
        try {
            // the environment's overrides (OMENDB_LOG_LEVEL, OMENDB_LOG_FORMAT, OMENDB_AUTH_DISABLED) on the defaults
            OmenConfig fromEnvironment = ConfigLoader.parse("", System.getenv());
            Logging.configure(fromEnvironment.database().logLevel(), fromEnvironment.monitoring().logs());
            LocalLayout layout = LocalLayout.loadOrCreate(root, nodes, ranges, NODES_DEFAULT, RANGES_DEFAULT);
            boolean auth = !noAuth && fromEnvironment.security().authEnabled();
            configs = nodeConfigs(layout, root, httpPort, metricsPort, logArchiveDir, auth);
            for (OmenConfig c : configs) {
                ConfigLoader.validate(c);
            }
            if (auth) {
                LocalAdmin.createOnFirstStart(root, HOST, httpPort);
            }
        } catch (ConfigException e) {
            System.err.println("omendb: configuration refused: " + e.getMessage());
            return OmenDbCli.EXIT_CONFIG;
        }
        StopSignal stop = StopSignal.install();
        try (Closer closer = new Closer()) {
            RouterService router;
            try {
                List<OmenNode> nodes = new ArrayList<>();
                for (OmenConfig c : configs) {
                    nodes.add(closer.register(OmenNode.start(c)));
                }
                router = closer.register(RouterService.start(configs.get(0),
                        ClientOptions.from(configs.get(0)).withLocalServer(nodes.get(0).localServer()),
                        new DiskFootprint(configs.stream().map(c -> c.database().dataDir()).toList(),
                                System::nanoTime),
                        () -> nodes.stream().flatMap(n -> n.replicaMetrics().stream()).toList(),
                        () -> nodes.stream().flatMap(n -> n.placementMetrics().stream()).toList()));
            } catch (Exception e) {
                System.err.println("omendb: local cluster failed to start: " + e);
                return OmenDbCli.EXIT_START_FAILED;
            }
            System.out.println("omendb: " + configs.size() + " nodes, " + (configs.get(0).cluster()
                    .initialSplitPoints().size() + 1) + " ranges, data in " + root);
            ReloadSignal.install(router::reloadSecurity);
            if (awaitReady(router, stop)) {
                System.out.println(router.describe(HOST));
                System.out.flush();
                stop.await();
            }
            System.out.println("omendb: stopping");
        }
        System.out.println("omendb: stopped");
        return OmenDbCli.EXIT_OK;
    }

    /**
     * Waits until the router can serve ({@code GET /ready} would answer 200: range table loaded, every range led),
     * so that the URL printed next answers at once; false when a stop signal came first. After
     * {@link #READY_WAIT_MS} it says so and goes on: the router answers 503 until the cluster is whole.
     */
    private static boolean awaitReady(RouterService router, StopSignal stop) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_WAIT_MS);
        while (!router.ready()) {
            if (System.nanoTime() > deadline) {
                System.out.println("omendb: not every range has a leader after " + READY_WAIT_MS / 1000
                        + " s; serving anyway (GET /ready names the ranges)");
                return true;
            }
            if (stop.await(READY_POLL_MS)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Every node's configuration of the local cluster kept in {@code root}: every node shares the defaults; only
     * identity, data dir and ports differ (as in raft-node's LocalCluster). The one derivation of a local node's
     * configuration: {@code local} starts its nodes with it, {@code backup --data-dir} ({@link LocalDataDir}) restores
     * into them.
     *
     * @param logArchiveDirOrNull {@code [backup] log_archive_dir}, or null for no archiving
     */
    static List<OmenConfig> nodeConfigs(LocalLayout layout, Path root, int httpPort, int metricsPort,
                                        Path logArchiveDirOrNull, boolean auth) {
        OmenConfig template = ConfigLoader.defaults();
        List<OmenConfig.Member> members = new ArrayList<>();
        for (int i = 0; i < layout.nodes(); i++) {
            members.add(new OmenConfig.Member("n" + (i + 1), HOST + ":" + layout.raftPorts()[i], HOST + ":" + httpPort));
        }
        int rf = Math.min(3, layout.nodes());
        List<OmenConfig> out = new ArrayList<>();
        for (OmenConfig.Member m : members) {
            OmenConfig c = template
                    .withDatabase(new OmenConfig.Database(template.database().name(), root.resolve(m.id()),
                            template.database().logLevel()))
                    .withHttp(new OmenConfig.Http(HOST, httpPort, template.http().maxConnections()))
                    .withCluster(new OmenConfig.Cluster(m.id(), rf, members, LocalLayout.splitPoints(layout.ranges())));
            out.add(c.withSecurity(localSecurity(c.security(), root, auth))
                    .withMonitoring(new OmenConfig.Monitoring(true, HOST, metricsPort))
                    .withBackup(new OmenConfig.Backup(logArchiveDirOrNull == null ? ""
                            : logArchiveDirOrNull.toAbsolutePath().normalize().toString(),
                            template.backup().logArchiveIntervalMs())));
        }
        return out;
    }

    /** Loopback only, no TLS; users and roles files in the data dir root (shared by every node's router). */
    private static OmenConfig.Security localSecurity(OmenConfig.Security s, Path root, boolean auth) {
        return new OmenConfig.Security(auth, LocalAdmin.usersFile(root).toString(),
                LocalAdmin.rolesFile(root).toString(), s.sessionTimeoutSeconds(), false, "", "", "", false,
                s.reloadCheckIntervalS());
    }
}
