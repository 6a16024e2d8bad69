package io.omendb.app;

import io.omendb.raft.PlacementMetrics;
import io.omendb.raft.ReplicaMetrics;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.CoalescingTallies;
import io.omendb.config.ConfigException;
import io.omendb.config.OmenConfig;
import io.omendb.router.backend.StorageFootprint;
import io.omendb.router.cluster.ClusterBackupCheckpoints;
import io.omendb.router.cluster.DiskFootprint;
import io.omendb.router.cluster.RaftKvBackend;
import io.omendb.router.cluster.PlacementCollector;
import io.omendb.router.cluster.RaftReplicaCollector;
import io.omendb.router.http.AccessLog;
import io.omendb.router.http.HttpApiServer;
import io.omendb.router.http.HttpServerOptions;
import io.omendb.router.http.MemoryLimit;
import io.omendb.router.http.ServerGuards;
import io.omendb.router.metrics.MetricsEndpoint;
import io.omendb.router.metrics.RouterMetrics;
import io.omendb.router.security.RouterSecurity;
import io.omendb.router.security.SecurityFileException;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * The router as the CLI runs it: {@code [security]} ({@link RouterSecurity}: authentication, TLS), cluster client,
 * {@link RaftKvBackend}, HTTP API server with the memory limit, the slow-client timeout and the access log, and (when
 * {@code [monitoring] metrics_enabled}) the Prometheus endpoint with the per-range Raft metrics of the nodes in
 * this process, all configured from one {@link OmenConfig}.
 * Owns everything it starts; {@link #close()} stops it in reverse order.
 */
final class RouterService implements AutoCloseable {
    /** How often the router re-reads the range table from the meta group. */
    static final long TABLE_REFRESH_MS = 1_000;

    private final Closer closer = new Closer();
    private final RouterSecurity security;
    private final HttpApiServer http;
    private final RaftKvBackend backend;
    private final MetricsEndpoint metricsEndpoint;

    private RouterService(OmenConfig config, ClientOptions clientOptions, Supplier<StorageFootprint> footprint,
                          Supplier<List<ReplicaMetrics>> localReplicas, Supplier<List<PlacementMetrics>> localPlacement)
            throws IOException, InterruptedException {
        try {
            security = closer.register(RouterSecurity.start(config.security(), config.database().dataDir(),
                    System::nanoTime, clientOptions.tlsOrNull()));
            ClusterClient client = closer.register(ClusterClient.connect(clientOptions));
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "omendb-router-table");
                t.setDaemon(true);
                return t;
            });
            closer.register(scheduler::shutdownNow);
            backend = closer.register(new RaftKvBackend(client, scheduler,
                    config.limits().maxQueryDurationMs(), TABLE_REFRESH_MS, footprint));
            MemoryLimit memoryLimit = MemoryLimit.ofHeap(config.limits().memoryLimitMb() << 20);
            RouterMetrics metrics = new RouterMetrics(backend::footprint, memoryLimit.limitBytes());
            CoalescingTallies grouping = client.coalescing();
            metrics.registerCoalescing(grouping.writes()::messages, grouping.writes()::requests,
                    grouping.forwards()::messages, grouping.forwards()::requests, grouping.reads()::messages,
                    grouping.reads()::requests);
            metrics.registerRangeReroutes(client::reroutes);
            metrics.prometheusRegistry().register(new RaftReplicaCollector(localReplicas, client,
                    config.database().name()));
            metrics.prometheusRegistry().register(new PlacementCollector(localPlacement));
            ServerGuards guards = new ServerGuards(security.gate(), security.apiSslContextOrNull(),
                    config.limits().requestReadTimeoutMs(), memoryLimit);
            ClusterBackupCheckpoints backups = closer.register(new ClusterBackupCheckpoints(client,
                    config.database().name(), footprint instanceof DiskFootprint d
                    ? d.dataDirs() : List.of()));
            http = closer.register(HttpApiServer.start(HttpServerOptions.from(config), guards, backend, backups,
                    metrics, System::nanoTime, accessLog(config.monitoring().logs())));
            OmenConfig.Monitoring m = config.monitoring();
            metricsEndpoint = m.metricsEnabled() ? closer.register(MetricsEndpoint.start(m.metricsBindAddress(),
                    m.metricsPort(), metrics, security.metricsSslContextOrNull(),
                    security.metricsAuthenticatorOrNull())) : null;
        } catch (IOException | InterruptedException | RuntimeException e) {
            closer.close();
            throw e;
        }
    }

    /** A router without Raft nodes in its process (so without {@code omendb_raft_*} metrics). */
    static RouterService start(OmenConfig config, ClientOptions clientOptions, Supplier<StorageFootprint> footprint)
            throws IOException, InterruptedException {
        return start(config, clientOptions, footprint, List::of, List::of);
    }

    /**
     * @param localReplicas  readings of the Raft replicas of the nodes in this process, exported per range
     * @param localPlacement the placement driver's readings of the nodes in this process (the meta leader's only)
     */
    static RouterService start(OmenConfig config, ClientOptions clientOptions, Supplier<StorageFootprint> footprint,
                               Supplier<List<ReplicaMetrics>> localReplicas,
                               Supplier<List<PlacementMetrics>> localPlacement) throws IOException, InterruptedException {
        try {
            return new RouterService(config, clientOptions, footprint, localReplicas, localPlacement);
        } catch (SecurityFileException e) {
            throw new ConfigException("security", e.getMessage());
        }
    }

    /** {@code [monitoring] access_log}, {@code slow_request_ms} and {@code access_log_lines_per_s_max}. */
    static AccessLog accessLog(OmenConfig.Monitoring.Logs logs) {
        return AccessLog.toLogger(AccessLog.Mode.valueOf(logs.accessLog().name()), logs.slowRequestMs(),
                logs.accessLogLinesPerSecondMax());
    }

    /**
     * Whether {@code GET /ready} would answer 200 now: the range table is loaded and every range has a reachable
     * leader. Blocks for one probe (at most {@code RaftKvBackend.LEADER_PROBE_TIMEOUT_MS} per range, in parallel).
     */
    boolean ready() throws InterruptedException {
        try {
            return backend.rangesWithoutLeader().get().isEmpty();
        } catch (ExecutionException notReady) {
            return false;
        }
    }

    int httpPort() {
        return http.port();
    }

    /** The metrics port, or -1 when metrics are disabled. */
    int metricsPort() {
        return metricsEndpoint == null ? -1 : metricsEndpoint.port();
    }

    /** Re-reads the users, roles and TLS files on the reload thread (SIGHUP); see {@link ReloadSignal}. */
    void reloadSecurity() {
        security.reloader().requestReloadAll("SIGHUP");
    }

    String describe(String host) {
        String scheme = security.scheme();
        return "omendb: HTTP API on " + scheme + "://" + host + ":" + httpPort() + " (" + http.transport() + ")"
                + (metricsPort() < 0 ? "" : ", metrics on " + scheme + "://" + host + ":" + metricsPort() + "/metrics");
    }

    @Override
    public void close() {
        closer.close();
    }
}
