package io.omendb.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The validated contents of {@code omendb.toml} after environment overrides: one record per section. Instances
 * come out of {@link ConfigLoader} (which checks every value and refuses unknown keys) or from the
 * {@code with*} copies below (programmatic overrides for {@code LocalCluster} and tests); the node re-checks the
 * cross-field rules with {@link ConfigLoader#validate} when it starts. Immutable and thread-safe. Every key, default and unit is
 * listed in {@code docs/CONFIG.md}.
 */
public record OmenConfig(Database database, Storage storage, Index index, Wal wal, Http http, Security security,
                         Monitoring monitoring, Performance performance, Limits limits, Cluster cluster,
                         Backup backup, Ranges ranges, Placement placement) {

    /** {@code [database]}: identity of the database and where this node keeps its files. */
    public record Database(String name, Path dataDir, String logLevel) {
    }

    /** {@code [storage]}: engine storage options. */
    public record Storage(boolean compressionEnabled, boolean fsyncEnabled) {
    }

    /** {@code [index]}: learned-index tuning, passed to every range's engine (raft-node's {@code EngineSettings}). */
    public record Index(int maxError, int retrainThreshold, IndexModel modelType) {
    }

    /**
     * {@code [wal]}: the Raft log, which is the write-ahead log.
     *
     * @param syncOnWrite              fsync the Raft log before a write is acknowledged
     * @param segmentSizeMb            size of one Raft log segment file
     * @param snapshotThresholdEntries log entries since the last snapshot that trigger a new one
     * @param purgeGapEntries          purge the log only when at least this many entries can go
     * @param snapshotRetentionCount   snapshots kept per range replica
     * @param purgeUptoSnapshot        purge up to the snapshot index even if a follower still needs the entries
     *                                 (it then catches up by snapshot install)
     */
    public record Wal(boolean syncOnWrite, int segmentSizeMb, long snapshotThresholdEntries, int purgeGapEntries,
                      int snapshotRetentionCount, boolean purgeUptoSnapshot) {
    }

    /**
     * {@code [backup]}: continuous archiving of every range's committed Raft log, for point-in-time restore
     * (docs/BACKUP.md).
     *
     * @param logArchiveDir        where this node archives its log ({@code <dir>/<group uuid>/<node id>/}); empty:
     *                             archiving off. Relative paths are taken inside {@code database.data_dir}.
     * @param logArchiveIntervalMs how often committed entries are archived: the most a point-in-time restore can
     *                             miss if the whole cluster is lost (entries are also archived before every purge)
     */
    public record Backup(String logArchiveDir, long logArchiveIntervalMs) {
        public boolean archiving() {
            return !logArchiveDir.isEmpty();
        }

        /** The archive directory as an absolute path ({@link #archiving()} must hold). */
        public Path logArchivePath(Path dataDir) {
            return Security.resolve(dataDir, logArchiveDir);
        }
    }

    /**
     * {@code [ranges]}: automatic splits and merges (docs/CONFIG.md). A node splits a range it leads once the range's stored bytes
     * pass {@code splitSizeMb} (at the byte median) or its load passes {@code splitLoadOpsPerS} over a window of
     * {@code splitLoadWindowS} (at the load's median key), at most once per {@code splitCooldownS} per range.
     *
     * @param splitSizeMb         MiB of stored keys and values above which a range is split; 0: never by size
     * @param splitLoadOpsPerS    keyed requests per second (reads and writes) above which a range is split; 0: never
     * @param splitLoadWindowS    the window the load is measured over
     * @param splitCheckIntervalS how often a node looks at the ranges it leads
     * @param splitCooldownS      least time between two automatic splits of one range, and how long a range must
     *                            keep its shape before it is merged automatically
     * @param mergeSizeMb         MiB under which two adjacent ranges (both, and together under half of
     *                            {@code splitSizeMb}) are merged by the left one's leader; 0: never automatically
     */
    public record Ranges(long splitSizeMb, long splitLoadOpsPerS, int splitLoadWindowS, int splitCheckIntervalS,
                         int splitCooldownS, long mergeSizeMb) {
        public boolean autoSplit() {
            return splitSizeMb > 0 || splitLoadOpsPerS > 0;
        }

        /** Whether the periodic check runs at all: automatic splits or merges are on. */
        public boolean autoChangeShape() {
            return autoSplit() || mergeSizeMb > 0;
        }
    }

    /**
     * {@code [placement]}: the placement driver, run by the node leading the meta group (docs/CONFIG.md).
     *
     * @param leaderBalanceIntervalS how often it balances range leaders and replicas (every node within one of the
     *                               mean); 0: never
     * @param maxMovesPerNode        replica moves in flight that load one node (as the new replica or the leader
     *                               sending it the snapshot)
     * @param busyRoundIntervalMs    how often it runs while a node drains or a replica move is in flight
     * @param nodeDeadAfterS         how long a member may go unheard from (by the node leading the meta group, since it
     *                               leads) before it is recorded DEAD and its replicas are re-created on other nodes
     */
    public record Placement(int leaderBalanceIntervalS, int maxMovesPerNode, int busyRoundIntervalMs,
                            int nodeDeadAfterS) {
    }

    /** {@code [http]}: read by the router. */
    public record Http(String bindAddress, int port, int maxConnections) {
    }

    /**
     * {@code [security]}: authentication (read by the router) and TLS (router, metrics endpoint and Raft peers).
     * Relative file names are resolved against {@code database.data_dir} ({@link #resolve}).
     *
     * @param usersFile          htpasswd file with bcrypt hashes ({@code htpasswd -B})
     * @param rolesFile          {@code user:role,role} lines; roles are read, write, admin
     * @param tlsCaFile          PEM certificate of the cluster CA: Raft peers and clients must present a certificate
     *                           it signed (mutual TLS)
     * @param metricsAuthEnabled the metrics endpoint requires HTTP Basic credentials of a user with any role
     * @param reloadCheckIntervalS how often the router compares the users, roles and TLS files with what it loaded
     *                           and reloads those that changed; 0: only on SIGHUP
     */
    public record Security(boolean authEnabled, String usersFile, String rolesFile, long sessionTimeoutSeconds,
                           boolean tlsEnabled, String tlsCertFile, String tlsKeyFile, String tlsCaFile,
                           boolean metricsAuthEnabled, long reloadCheckIntervalS) {
        /** {@code file} as an absolute path: relative names are taken inside {@code dataDir}. */
        public static Path resolve(Path dataDir, String file) {
            return dataDir.resolve(file).toAbsolutePath().normalize();
        }
    }

    /** {@code [monitoring]}: Prometheus endpoint and logs. */
    public record Monitoring(boolean metricsEnabled, String metricsBindAddress, int metricsPort, Logs logs) {
        /** The metrics endpoint as given, logs at their defaults. */
        public Monitoring(boolean metricsEnabled, String metricsBindAddress, int metricsPort) {
            this(metricsEnabled, metricsBindAddress, metricsPort, Logs.DEFAULTS);
        }

        // ------------------------------------------------------------ logs (docs/LOGGING.md)

        /** {@code log_format}: what one log line is. */
        public enum LogFormat {
            /** A time stamp, thread, level, logger and message per line, for people. */
            TEXT,
            /** One JSON object per line (logstash-logback-encoder), for log pipelines and {@code jq}. */
            JSON
        }

        /** {@code access_log}: which completed HTTP requests get an {@code omendb.access} line. */
        public enum AccessLogMode {
            OFF,
            /** Requests that took at least {@code slow_request_ms}. */
            SLOW,
            ALL
        }

        /**
         * The logs' settings ({@code database.log_level} stays the root level).
         *
         * @param format                     {@code log_format}; env {@code OMENDB_LOG_FORMAT}
         * @param levels                     {@code log_levels}: logger name (a prefix of class names, e.g.
         *                                   {@code io.omendb.router}) to level, applied after the root level
         *                                   and the defaults for Ratis
         * @param accessLog                  {@code access_log}
         * @param slowRequestMs              {@code slow_request_ms}: the duration from which a request is slow
         * @param accessLogLinesPerSecondMax {@code access_log_lines_per_s_max}: access lines written per second at
         *                                   most; the rest are dropped and counted
         *                                   ({@code omendb_access_log_dropped_total})
         */
        public record Logs(LogFormat format, Map<String, String> levels, AccessLogMode accessLog, long slowRequestMs,
                           int accessLogLinesPerSecondMax) {
            public static final Logs DEFAULTS = new Logs(LogFormat.TEXT, Map.of(), AccessLogMode.SLOW, 500, 100);

            public Logs {
                levels = Collections.unmodifiableMap(new LinkedHashMap<>(levels));
            }
        }
    }

    /**
     * {@code [performance]}: concurrency bounds and Raft timing.
     *
     * @param maxConcurrentRequests   in-flight requests the router admits
     * @param electionTimeoutMinMs    lower bound of the randomized Raft election timeout
     * @param electionTimeoutMaxMs    upper bound of the randomized Raft election timeout
     * @param raftRequestTimeoutMs    timeout of one Raft RPC (append, vote, client request)
     * @param raftWriteBufferKb       direct write buffer of each group's log worker, allocated once per range
     *                                replica on the node; bounds one log entry
     * @param leaderLeaseEnabled      serve linearizable reads from the leader's lease without a heartbeat round
     * @param groupCommitEntriesInFlightMax entries one router keeps in flight per range before writes are grouped
     * @param groupCommitWritesMax    writes (or folded gets) in one entry (multi-get) at most; 1: no grouping
     * @param groupCommitLingerMaxUs  how long an entry may wait for the writes its range's recent writers are
     *                                expected to send; 0: never
     * @param groupCommitForwardToLeader whether routers forward single-key writes of ranges led on another node to
     *                                that node, where they share entries with every router's writes
     * @param workerThreads           threads flushing, training and compacting the engines of every range replica
     *                                on the node; 0: {@link #workerThreadCount()} picks max(2, processors)
     * @param ioThreads               Netty event-loop threads of the HTTP API server
     */
    public record Performance(int maxConcurrentRequests, int electionTimeoutMinMs, int electionTimeoutMaxMs,
                              int raftRequestTimeoutMs, int raftWriteBufferKb, boolean leaderLeaseEnabled,
                              int groupCommitEntriesInFlightMax, int groupCommitWritesMax,
                              int groupCommitLingerMaxUs, boolean groupCommitForwardToLeader, int workerThreads,
                              int ioThreads) {
        /** Bytes Ratis adds around a command in a log entry (term, index, client and call ids) plus the leader's time
         *  stamp (CommandCodec.stamp, at most 20 bytes), generously rounded. */
        public static final int ENTRY_OVERHEAD_BYTES = 4 * 1024;
        /** Ratis frames each entry in the write buffer with a 4-byte length and a 4-byte checksum. */
        public static final int ENTRY_FRAMING_BYTES = 8;

        /**
         * Largest encoded command a range accepts: the log worker buffer less the entry's Ratis overhead and
         * framing (Ratis refuses a write buffer smaller than its largest entry + 8 bytes).
         */
        public int commandBytesMax() {
            return raftWriteBufferKb * 1024 - ENTRY_OVERHEAD_BYTES - ENTRY_FRAMING_BYTES;
        }

        /** The engine maintenance threads to start: {@code worker_threads}, or max(2, processors) when it is 0. */
        public int workerThreadCount() {
            return workerThreads > 0 ? workerThreads : Math.max(2, Runtime.getRuntime().availableProcessors());
        }
    }

    /** {@code [limits]}: request limits enforced by the client and router. */
    public record Limits(int maxKeySizeBytes, int maxValueSizeBytes, int maxInsertBatchSize, long maxQueryDurationMs,
                         long memoryLimitMb, int maxScanLimit, long requestReadTimeoutMs) {
    }

    /**
     * {@code [cluster]}: membership and initial layout.
     *
     * @param members the members this node knows from its file: the whole cluster for a node that bootstraps it, the
     *                existing cluster's members it joins through (at least the meta group's peers) and itself for a
     *                node that joins; members that joined later are learnt from the meta group, not from here
     * @param join    this node joins a running cluster: it bootstraps no group and registers itself in the meta group
     */
    public record Cluster(String nodeId, int replicationFactor, List<Member> members, List<byte[]> initialSplitPoints,
                          boolean join) {
        /** The meta group has at least this many peers (fewer only when the cluster has fewer members). */
        public static final int META_PEERS_MIN = 3;

        public Cluster {
            members = List.copyOf(members);
            initialSplitPoints = List.copyOf(initialSplitPoints);
        }

        /** A member of the cluster's initial configuration (no {@code join}). */
        public Cluster(String nodeId, int replicationFactor, List<Member> members, List<byte[]> initialSplitPoints) {
            this(nodeId, replicationFactor, members, initialSplitPoints, false);
        }

        /**
         * The meta group's peers: the first {@code min(members, max(3, replication_factor))} members. Fixed for the
         * cluster's life (members that join later never become meta peers).
         */
        public List<Member> metaPeers() {
            return members.subList(0, Math.min(members.size(), Math.max(META_PEERS_MIN, replicationFactor)));
        }

        public Optional<Member> member(String id) {
            return members.stream().filter(m -> m.id().equals(id)).findFirst();
        }

        public Member self() {
            return member(nodeId).orElseThrow(() -> new ConfigException("cluster.node_id",
                    "'" + nodeId + "' is not one of cluster.members"));
        }
    }

    /**
     * One {@code [[cluster.members]]} entry: a node, where to reach it, and its failure domain.
     *
     * @param zone the member's zone ({@code [cluster] zone} for this node, {@code zone} of its entry for the others);
     *             "" when none is configured. The placement driver spreads each range's replicas over
     *             {@code min(replication_factor, zones)} zones.
     */
    public record Member(String id, String raftAddress, String httpAddress, String zone) {
        public Member {
            Objects.requireNonNull(zone, "zone");
        }

        /** A member without a zone. */
        public Member(String id, String raftAddress, String httpAddress) {
            this(id, raftAddress, httpAddress, "");
        }

        public Member withZone(String z) {
            return new Member(id, raftAddress, httpAddress, z);
        }
    }

    public OmenConfig withDatabase(Database d) {
        return new OmenConfig(d, storage, index, wal, http, security, monitoring, performance, limits, cluster, backup,
                ranges, placement);
    }

    public OmenConfig withHttp(Http h) {
        return new OmenConfig(database, storage, index, wal, h, security, monitoring, performance, limits,
                cluster, backup, ranges, placement);
    }

    public OmenConfig withWal(Wal w) {
        return new OmenConfig(database, storage, index, w, http, security, monitoring, performance, limits,
                cluster, backup, ranges, placement);
    }

    public OmenConfig withSecurity(Security s) {
        return new OmenConfig(database, storage, index, wal, http, s, monitoring, performance, limits, cluster, backup,
                ranges, placement);
    }

    public OmenConfig withMonitoring(Monitoring m) {
        return new OmenConfig(database, storage, index, wal, http, security, m, performance, limits, cluster, backup,
                ranges, placement);
    }

    public OmenConfig withBackup(Backup b) {
        return new OmenConfig(database, storage, index, wal, http, security, monitoring, performance, limits, cluster,
                b, ranges, placement);
    }

    public OmenConfig withRanges(Ranges r) {
        return new OmenConfig(database, storage, index, wal, http, security, monitoring, performance, limits, cluster,
                backup, r, placement);
    }

    public OmenConfig withPlacement(Placement pl) {
        return new OmenConfig(database, storage, index, wal, http, security, monitoring, performance, limits, cluster,
                backup, ranges, pl);
    }

    public OmenConfig withCluster(Cluster c) {
        return new OmenConfig(database, storage, index, wal, http, security, monitoring, performance, limits, c,
                backup, ranges, placement);
    }
}
