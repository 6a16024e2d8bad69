package io.omendb.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Reads {@code omendb.toml}, applies the environment overrides and checks every value, refusing unknown keys.
 * Any refusal is a {@link ConfigException} naming the key; {@code NodeMain} turns it into a non-zero exit.
 *
 * <p>Environment overrides (they win over the file): {@code OMENDB_DATA_DIR} → {@code database.data_dir},
 * {@code OMENDB_HTTP_PORT} → {@code http.port}, {@code OMENDB_AUTH_DISABLED=true|false} →
 * {@code security.auth_enabled = !value}, {@code OMENDB_LOG_LEVEL} → {@code database.log_level}, {@code OMENDB_LOG_FORMAT} →
 * {@code monitoring.log_format}, {@code OMENDB_CLUSTER_ZONE} → {@code cluster.zone}. The environment
 * is passed in (not read from {@link System#getenv()} here) so tests are hermetic.
 *
 * <p>The operations guide's names and keys ({@link GuideKeys}) are read as this product's keys, ignored with a
 * reason, or refused with a reason; what was read under another name or ignored is reported as a
 * {@link ConfigNotice}, as is a configuration without {@code [cluster]} members (a one-node cluster). The loader
 * never logs: the caller logs the notices once its logging is configured.
 */
public final class ConfigLoader {
    public static final String ENV_DATA_DIR = "OMENDB_DATA_DIR";
    public static final String ENV_HTTP_PORT = "OMENDB_HTTP_PORT";
    public static final String ENV_AUTH_DISABLED = "OMENDB_AUTH_DISABLED";
    public static final String ENV_LOG_LEVEL = "OMENDB_LOG_LEVEL";
    public static final String ENV_LOG_FORMAT = "OMENDB_LOG_FORMAT";
    public static final String ENV_CLUSTER_ZONE = "OMENDB_CLUSTER_ZONE";

    /**
     * {@code [index]} defaults: the storage engine's own ({@code EngineOptions.defaults()}; raft-node's
     * {@code EngineSettingsTest} keeps the two equal).
     */
    public static final int INDEX_MAX_ERROR_DEFAULT = 32;
    public static final int INDEX_RETRAIN_THRESHOLD_DEFAULT = 200_000;
    /** The operations guide's limits: keys up to 4 KiB, values up to 1 MiB. */
    public static final int MAX_KEY_SIZE_BYTES_DEFAULT = 4 * 1024;
    public static final int MAX_VALUE_SIZE_BYTES_DEFAULT = 1024 * 1024;
    /**
     * 2304 KiB (2.25 MiB): holds a compare-and-set of a maximal key with a maximal expected and new value at the default
     * limits (4 KiB + 2 x 1 MiB + framing needs 2057 KiB, {@link #writeBufferKbToHold}) and batches up to 2 355 192
     * bytes. Ratis allocates it as direct memory once per group replica, so every KiB here is paid by each range a
     * node hosts; lowering it to 2057 saves 0.24 MiB per range replica but shrinks the largest batch (a batch that
     * worked would get 413) and must wait until no log holds a larger entry (docs/CONFIG.md), so the default stays.
     */
    public static final int RAFT_WRITE_BUFFER_KB_DEFAULT = 2304;
    /**
     * Group commit's linger ({@code client.Coalescer}): long enough for a closed-loop client on a loaded machine to
     * send its next write after its answer, short against an entry's own latency (docs/BENCHMARKS.md).
     */
    public static final int GROUP_COMMIT_LINGER_MAX_US_DEFAULT = 5000;
    /**
     * Smallest request deadline: below it a healthy cluster's quorum write or linearizable read cannot answer in
     * time, so good requests would get 504 (docs/CONFIG.md).
     */
    public static final long MAX_QUERY_DURATION_MS_MIN = 100;
    /**
     * Smallest memory limit: below it a node's own working set (Raft servers and clients, Netty, Raft log caches, and
     * the range memtables, which a node keeps under half of the limit) fills the limit with ordinary data
     * (docs/CONFIG.md).
     */
    public static final long MEMORY_LIMIT_MB_MIN = 256;
    /**
     * Smallest request read timeout: a good client's request can take a network round trip or two to arrive whole
     * (curl waits for {@code 100 Continue} before sending a body over 1 MiB), so a shorter one refuses it with 408.
     */
    public static final long REQUEST_READ_TIMEOUT_MS_MIN = 1000;
    /** Bound on the command codec's framing around keys and values (kind, version, lengths, checksum). */
    static final int COMMAND_FRAMING_BYTES_MAX = 64;
    static final String SPLIT_POINT_HEX_PREFIX = "hex:";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    /** A zone: empty (none), or 1-64 characters of [A-Za-z0-9_.-] starting with a letter or digit. */
    private static final Predicate<String> ZONE = v -> v.isEmpty() || NAME.matcher(v).matches();
    private static final String ZONE_EXPECTATION = "must be empty (no zone) or 1-64 characters of [A-Za-z0-9_.-] "
            + "starting with a letter or digit";
    private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9_.\\-:\\[\\]]+:\\d{1,5}");
    private static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");
    private static final List<String> SECTIONS = List.of("database", "storage", "index", "wal", "http", "security",
            "monitoring", "performance", "limits", "cluster", "backup", "ranges", "placement");
    private static final int PORT_MAX = 65_535;
    /** {@code [performance] io_threads} default: the HTTP API's event loops, sized for the 2-core target machine. */
    public static final int HTTP_IO_THREADS_DEFAULT = 2;
    static final int THREADS_MAX = 1024;
    /** Raft port of a node without {@code [[cluster.members]]}: {@code http.port} plus this (7000 by default). */
    public static final int SINGLE_NODE_RAFT_PORT_OFFSET = 4000;
    static final String LOOPBACK = "127.0.0.1";

    private ConfigLoader() {
    }

    public static OmenConfig load(Path file, Map<String, String> env) throws IOException {
        return load(file, env, notice -> { });
    }

    /** {@link #load(Path, Map)}, handing every {@link ConfigNotice} to {@code notices}. */
    public static OmenConfig load(Path file, Map<String, String> env, Consumer<ConfigNotice> notices)
            throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), env, notices);
    }

    public static OmenConfig parse(String toml, Map<String, String> env) {
        return parse(toml, env, notice -> { });
    }

    /** {@link #parse(String, Map)}, handing every {@link ConfigNotice} to {@code notices}. */
    public static OmenConfig parse(String toml, Map<String, String> env, Consumer<ConfigNotice> notices) {
        JsonNode root;
        try {
            root = new TomlMapper().readTree(toml);
        } catch (JacksonException e) {
            throw new ConfigException("omendb.toml", "not valid TOML: " + e.getOriginalMessage());
        }
        Map<String, String> writtenAs = root instanceof ObjectNode o ? GuideKeys.apply(o, notices) : Map.of();
        Map<String, TomlSection> sections = new HashMap<>();
        for (String s : SECTIONS) {
            sections.put(s, new TomlSection(s, root == null ? null : root.get(s), writtenAs));
        }
        if (root != null) {
            root.fieldNames().forEachRemaining(k -> {
                if (!SECTIONS.contains(k)) {
                    throw new ConfigException(k, "unknown section or key (known sections: "
                            + String.join(", ", SECTIONS) + ")");
                }
            });
        }
        OmenConfig.Http http = http(sections.get("http"), env);
        OmenConfig config = new OmenConfig(
                database(sections.get("database"), env),
                storage(sections.get("storage")),
                index(sections.get("index")),
                wal(sections.get("wal")),
                http,
                security(sections.get("security"), env),
                monitoring(sections.get("monitoring"), env),
                performance(sections.get("performance")),
                limits(sections.get("limits")),
                cluster(sections.get("cluster"), http, env, notices),
                backup(sections.get("backup")),
                ranges(sections.get("ranges")),
                placement(sections.get("placement")));
        sections.values().forEach(TomlSection::rejectUnknownKeys);
        validate(config);
        return config;
    }

    /** Defaults for every key: a single-node cluster on loopback. */
    public static OmenConfig defaults() {
        return parse("", Map.of());
    }

    /** Cross-field rules; also run by the node on programmatically built configs. */
    public static void validate(OmenConfig c) {
        OmenConfig.Performance p = c.performance();
        if (p.electionTimeoutMinMs() >= p.electionTimeoutMaxMs()) {
            throw new ConfigException("performance.election_timeout_max_ms", "must be greater than "
                    + "performance.election_timeout_min_ms (" + p.electionTimeoutMinMs() + ")");
        }
        if (c.http().port() == c.monitoring().metricsPort() && c.monitoring().metricsEnabled()) {
            throw new ConfigException("monitoring.metrics_port", "must differ from http.port (" + c.http().port() + ")");
        }
        validateEntrySize(p, c.limits());
        OmenConfig.Security s = c.security();
        if (s.tlsEnabled()) {
            for (var key : List.of(Map.entry("security.tls_cert_file", s.tlsCertFile()),
                    Map.entry("security.tls_key_file", s.tlsKeyFile()), Map.entry("security.tls_ca_file", s.tlsCaFile()))) {
                if (key.getValue().isEmpty()) {
                    throw new ConfigException(key.getKey(), "must be set when security.tls_enabled = true");
                }
            }
        }
        validateCluster(c.cluster());
    }

    /** One Raft entry must hold the largest single-key command the limits admit: a CAS of two maximal values. */
    private static void validateEntrySize(OmenConfig.Performance p, OmenConfig.Limits l) {
        if (p.commandBytesMax() < casBytesMax(l.maxKeySizeBytes(), l.maxValueSizeBytes())) {
            int kbNeeded = writeBufferKbToHold(l.maxKeySizeBytes(), l.maxValueSizeBytes());
            throw new ConfigException("performance.raft_write_buffer_kb", "must be at least " + kbNeeded
                    + " to hold a compare-and-set of limits.max_key_size_bytes = " + l.maxKeySizeBytes()
                    + " and two limits.max_value_size_bytes = " + l.maxValueSizeBytes() + " in one Raft entry, got "
                    + p.raftWriteBufferKb());
        }
    }

    /** Encoded size of the largest single-key command the limits admit: a CAS of a maximal key and two values. */
    private static long casBytesMax(int keySizeBytesMax, int valueSizeBytesMax) {
        return (long) keySizeBytesMax + 2L * valueSizeBytesMax + COMMAND_FRAMING_BYTES_MAX;
    }

    /** Smallest {@code raft_write_buffer_kb} whose largest command holds that CAS (Ratis entry overhead + framing). */
    private static int writeBufferKbToHold(int keySizeBytesMax, int valueSizeBytesMax) {
        long bytes = casBytesMax(keySizeBytesMax, valueSizeBytesMax) + OmenConfig.Performance.ENTRY_OVERHEAD_BYTES
                + OmenConfig.Performance.ENTRY_FRAMING_BYTES;
        return (int) ((bytes + 1023) / 1024);
    }

    private static void validateCluster(OmenConfig.Cluster cl) {
        Set<String> ids = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (OmenConfig.Member m : cl.members()) {
            if (!ids.add(m.id())) {
                throw new ConfigException("cluster.members", "duplicate member id '" + m.id() + "'");
            }
            if (!addresses.add(m.raftAddress())) {
                throw new ConfigException("cluster.members", "duplicate raft_address '" + m.raftAddress() + "'");
            }
        }
        cl.self();
        if (cl.join()) {
            validateJoin(cl);
        }
        if (cl.replicationFactor() > cl.members().size()) {
            throw new ConfigException("cluster.replication_factor", "must be <= the number of cluster.members ("
                    + cl.members().size() + "), got " + cl.replicationFactor());
        }
        for (int i = 1; i < cl.initialSplitPoints().size(); i++) {
            if (Arrays.compareUnsigned(cl.initialSplitPoints().get(i - 1), cl.initialSplitPoints().get(i)) >= 0) {
                throw new ConfigException("cluster.initial_split_points",
                        "must be strictly increasing (unsigned byte order); entry " + i + " is not");
            }
        }
    }

    /**
     * A joining node reaches the cluster through the meta group, whose peers are the first members of the cluster's
     * configuration: its own file must list them first, as the other nodes' files do, and itself after them.
     */
    private static void validateJoin(OmenConfig.Cluster cl) {
        if (cl.members().size() < 2) {
            throw new ConfigException("cluster.join", "a joining node needs the running cluster's members in "
                    + "[[cluster.members]] (at least its meta group's peers, as in their files), then itself; only '"
                    + cl.nodeId() + "' is listed");
        }
        if (cl.metaPeers().contains(cl.self())) {
            int metaPeers = Math.max(OmenConfig.Cluster.META_PEERS_MIN, cl.replicationFactor());
            throw new ConfigException("cluster.join", "a joining node cannot be a meta group peer: list the running "
                    + "cluster's first " + metaPeers + " members (its meta group's peers, max(3, replication_factor), "
                    + "in the order of their files) before '" + cl.nodeId() + "' in [[cluster.members]]");
        }
    }

    private static OmenConfig.Database database(TomlSection t, Map<String, String> env) {
        String name = t.string("name", "omendb", v -> NAME.matcher(v).matches(),
                "must be 1-64 characters of [A-Za-z0-9_.-] starting with a letter or digit");
        String dataDir = t.string("data_dir", "./data", v -> !v.isBlank(), "must not be empty");
        if (env.containsKey(ENV_DATA_DIR)) {
            dataDir = envValue(ENV_DATA_DIR, "database.data_dir", env.get(ENV_DATA_DIR),
                    v -> !v.isBlank(), "must not be empty");
        }
        String level = t.string("log_level", "info", LOG_LEVELS::contains, "must be one of " + LOG_LEVELS);
        if (env.containsKey(ENV_LOG_LEVEL)) {
            level = envValue(ENV_LOG_LEVEL, "database.log_level", env.get(ENV_LOG_LEVEL).toLowerCase(),
                    LOG_LEVELS::contains, "must be one of " + LOG_LEVELS);
        }
        return new OmenConfig.Database(name, Path.of(dataDir), level);
    }

    private static OmenConfig.Storage storage(TomlSection t) {
        return new OmenConfig.Storage(t.bool("enable_compression", false), t.bool("fsync_enabled", true));
    }

    private static OmenConfig.Index index(TomlSection t) {
        int maxError = t.intIn("max_error", INDEX_MAX_ERROR_DEFAULT, 1, 1 << 20);
        int retrain = t.intIn("retrain_threshold", INDEX_RETRAIN_THRESHOLD_DEFAULT, 1, 100_000_000);
        String model = t.string("model_type", IndexModel.RECURSIVE.configName(), v -> IndexModel.parse(v).isPresent(),
                "must be one of recursive, linear, binary");
        return new OmenConfig.Index(maxError, retrain, IndexModel.parse(model).orElseThrow());
    }

    private static OmenConfig.Wal wal(TomlSection t) {
        return new OmenConfig.Wal(
                t.bool("sync_on_write", true),
                t.intIn("segment_size_mb", 8, 1, 1024),
                t.longIn("snapshot_threshold_entries", 100_000, 16, 1_000_000_000L),
                t.intIn("purge_gap_entries", 1024, 1, 1_000_000),
                t.intIn("snapshot_retention_count", 2, 1, 100),
                t.bool("purge_upto_snapshot", true));
    }

    private static OmenConfig.Http http(TomlSection t, Map<String, String> env) {
        String bind = t.string("bind_address", "0.0.0.0", v -> !v.isBlank(), "must not be empty");
        int port = t.intIn("port", 3000, 1, PORT_MAX);
        if (env.containsKey(ENV_HTTP_PORT)) {
            port = (int) TomlSection.checkRange("http.port (" + ENV_HTTP_PORT + ")",
                    parseLong(ENV_HTTP_PORT, env.get(ENV_HTTP_PORT)), 1, PORT_MAX);
        }
        return new OmenConfig.Http(bind, port, t.intIn("max_connections", 1000, 1, 1_000_000));
    }

    private static OmenConfig.Security security(TomlSection t, Map<String, String> env) {
        boolean auth = t.bool("auth_enabled", true);
        if (env.containsKey(ENV_AUTH_DISABLED)) {
            String v = env.get(ENV_AUTH_DISABLED).toLowerCase();
            if (!v.equals("true") && !v.equals("false")) {
                throw new ConfigException("security.auth_enabled (" + ENV_AUTH_DISABLED + ")",
                        "must be true or false, got '" + v + "'");
            }
            auth = !Boolean.parseBoolean(v);
        }
        return new OmenConfig.Security(auth,
                t.string("users_file", "users.htpasswd", v -> !v.isBlank(), "must not be empty"),
                t.string("roles_file", "roles.txt", v -> !v.isBlank(), "must not be empty"),
                t.longIn("session_timeout_seconds", 3600, 1, 30L * 24 * 3600),
                t.bool("tls_enabled", false),
                t.string("tls_cert_file", "", v -> true, ""),
                t.string("tls_key_file", "", v -> true, ""),
                t.string("tls_ca_file", "", v -> true, ""),
                t.bool("metrics_auth_enabled", false),
                // reload without restart (docs/SECURITY.md "Reloading users and certificates")
                t.longIn("reload_check_interval_s", 10, 0, 86_400));
    }

    private static OmenConfig.Monitoring monitoring(TomlSection t, Map<String, String> env) {
        return new OmenConfig.Monitoring(t.bool("metrics_enabled", true),
                t.string("metrics_bind_address", "0.0.0.0", v -> !v.isBlank(), "must not be empty"),
                t.intIn("metrics_port", 9090, 1, PORT_MAX), logs(t, env));
    }

    // ---------------------------------------------------------------- [monitoring] logs (docs/LOGGING.md)

    /** {@code log_levels} values: a level, or {@code off} to silence a logger. */
    private static final Set<String> LOGGER_LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");
    /** A logger name: Java package and class names joined by dots ({@code io.omendb.router}, {@code omendb.access}). */
    private static final Pattern LOGGER_NAME = Pattern.compile(
            "[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

    private static OmenConfig.Monitoring.Logs logs(TomlSection t, Map<String, String> env) {
        OmenConfig.Monitoring.Logs d = OmenConfig.Monitoring.Logs.DEFAULTS;
        String format = t.string("log_format", lower(d.format()), v -> enumOf(OmenConfig.Monitoring.LogFormat.class,
                v) != null, "must be one of text, json");
        if (env.containsKey(ENV_LOG_FORMAT)) {
            format = envValue(ENV_LOG_FORMAT, "monitoring.log_format", env.get(ENV_LOG_FORMAT).toLowerCase(),
                    v -> enumOf(OmenConfig.Monitoring.LogFormat.class, v) != null, "must be one of text, json");
        }
        Map<String, String> levels = t.stringMap("log_levels", "a logger name such as \"io.omendb.router\" (in "
                + "quotes: unquoted dots make nested tables)", LOGGER_NAME.asMatchPredicate(),
                LOGGER_LEVELS::contains, "must be one of " + LOGGER_LEVELS);
        String access = t.string("access_log", lower(d.accessLog()), v -> enumOf(
                OmenConfig.Monitoring.AccessLogMode.class, v) != null, "must be one of off, slow, all");
        return new OmenConfig.Monitoring.Logs(enumOf(OmenConfig.Monitoring.LogFormat.class, format), levels,
                enumOf(OmenConfig.Monitoring.AccessLogMode.class, access),
                t.longIn("slow_request_ms", d.slowRequestMs(), 0, 3_600_000),
                t.intIn("access_log_lines_per_s_max", d.accessLogLinesPerSecondMax(), 1, 1_000_000));
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** The constant named {@code v} in lower case, or null. */
    private static <E extends Enum<E>> E enumOf(Class<E> type, String v) {
        for (E e : type.getEnumConstants()) {
            if (lower(e).equals(v)) {
                return e;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- end of [monitoring] logs

    private static OmenConfig.Performance performance(TomlSection t) {
        return new OmenConfig.Performance(
                t.intIn("max_concurrent_requests", 256, 1, 1_000_000),
                t.intIn("election_timeout_min_ms", 1000, 100, 60_000),
                t.intIn("election_timeout_max_ms", 2000, 200, 120_000),
                t.intIn("raft_request_timeout_ms", 3000, 100, 120_000),
                t.intIn("raft_write_buffer_kb", RAFT_WRITE_BUFFER_KB_DEFAULT, 64, 64 * 1024),
                t.bool("leader_lease_enabled", true),
                t.intIn("group_commit_entries_in_flight_max", 1, 1, 1024),
                t.intIn("group_commit_writes_max", 256, 1, 100_000),
                t.intIn("group_commit_linger_max_us", GROUP_COMMIT_LINGER_MAX_US_DEFAULT, 0, 100_000),
                t.bool("group_commit_forward_to_leader", true),
                t.intIn("worker_threads", 0, 0, THREADS_MAX),
                t.intIn("io_threads", HTTP_IO_THREADS_DEFAULT, 1, THREADS_MAX));
    }

    private static OmenConfig.Limits limits(TomlSection t) {
        return new OmenConfig.Limits(
                t.intIn("max_key_size_bytes", MAX_KEY_SIZE_BYTES_DEFAULT, 1, 64 * 1024),
                t.intIn("max_value_size_bytes", MAX_VALUE_SIZE_BYTES_DEFAULT, 0, 16 * 1024 * 1024),
                t.intIn("max_insert_batch_size", 1000, 1, 1_000_000),
                t.longIn("max_query_duration_ms", 5000, MAX_QUERY_DURATION_MS_MIN, 3_600_000),
                t.longIn("memory_limit_mb", 2048, MEMORY_LIMIT_MB_MIN, 1L << 24),
                t.intIn("max_scan_limit", 10_000, 1, 1_000_000),
                t.longIn("request_read_timeout_ms", 10_000, REQUEST_READ_TIMEOUT_MS_MIN, 600_000));
    }

    /** {@code [ranges] merge_size_mb} when not set: 8 MiB, or an eighth of {@code split_size_mb} when that is smaller. */
    static final long MERGE_SIZE_MB_DEFAULT = 8;

    private static OmenConfig.Ranges ranges(TomlSection t) {
        long splitSizeMb = t.longIn("split_size_mb", 64, 0, 1_048_576);
        long mergeDefault = splitSizeMb == 0 ? MERGE_SIZE_MB_DEFAULT : Math.min(MERGE_SIZE_MB_DEFAULT, splitSizeMb / 8);
        OmenConfig.Ranges r = new OmenConfig.Ranges(splitSizeMb,
                t.longIn("split_load_ops_per_s", 0, 0, 100_000_000), t.intIn("split_load_window_s", 10, 1, 3600),
                t.intIn("split_check_interval_s", 10, 1, 3600), t.intIn("split_cooldown_s", 60, 0, 86_400),
                t.longIn("merge_size_mb", mergeDefault, 0, 1_048_576));
        if (r.mergeSizeMb() > 0 && r.splitSizeMb() > 0 && r.mergeSizeMb() * 2 > r.splitSizeMb()) {
            throw new ConfigException("ranges.merge_size_mb", r.mergeSizeMb() + " must be at most half of "
                    + "split_size_mb = " + r.splitSizeMb() + " (a merged range must not be split again at once); "
                    + "lower merge_size_mb or set it to 0");
        }
        return r;
    }

    private static OmenConfig.Placement placement(TomlSection t) {
        return new OmenConfig.Placement(t.intIn("leader_balance_interval_s", 60, 0, 86_400),
                t.intIn("max_moves_per_node", 4, 1, 64), t.intIn("busy_round_interval_ms", 1_000, 100, 60_000),
                t.intIn("node_dead_after_s", 300, 15, 86_400 * 30));
    }

    private static OmenConfig.Backup backup(TomlSection t) {
        return new OmenConfig.Backup(t.string("log_archive_dir", "", v -> true, ""),
                t.longIn("log_archive_interval_ms", 10_000, 100, 3_600_000));
    }

    /**
     * Without {@code [[cluster.members]]} the node is a one-node cluster: itself, with Raft on loopback (no peer needs
     * to reach it) at {@code http.port + }{@link #SINGLE_NODE_RAFT_PORT_OFFSET}, so that single-server instances on
     * one host that differ in their HTTP port do not collide on Raft.
     */
    private static OmenConfig.Cluster cluster(TomlSection t, OmenConfig.Http http, Map<String, String> env,
                                              Consumer<ConfigNotice> notices) {
        String nodeId = t.string("node_id", "n1", v -> NAME.matcher(v).matches(),
                "must be 1-64 characters of [A-Za-z0-9_.-] starting with a letter or digit");
        String zone = t.string("zone", "", ZONE, ZONE_EXPECTATION);
        String zoneKey = "cluster.zone";
        if (env.containsKey(ENV_CLUSTER_ZONE)) {
            zoneKey = "cluster.zone (" + ENV_CLUSTER_ZONE + ")";
            zone = envValue(ENV_CLUSTER_ZONE, "cluster.zone", env.get(ENV_CLUSTER_ZONE), ZONE, ZONE_EXPECTATION);
        }
        List<OmenConfig.Member> members = new ArrayList<>();
        for (TomlSection m : t.tables("members")) {
            members.add(new OmenConfig.Member(
                    m.requiredString("id", v -> NAME.matcher(v).matches(), "must be a valid node id"),
                    m.requiredString("raft_address", v -> HOST_PORT.matcher(v).matches(), "must be host:port"),
                    m.string("http_address", "", v -> v.isEmpty() || HOST_PORT.matcher(v).matches(),
                            "must be host:port"),
                    m.string("zone", "", ZONE, ZONE_EXPECTATION)));
            m.rejectUnknownKeys();
        }
        if (members.isEmpty()) {
            int raftPort = http.port() + SINGLE_NODE_RAFT_PORT_OFFSET;
            if (raftPort > PORT_MAX) {
                throw new ConfigException("http.port", "must be at most " + (PORT_MAX - SINGLE_NODE_RAFT_PORT_OFFSET)
                        + " without [[cluster.members]] (Raft then listens on http.port + "
                        + SINGLE_NODE_RAFT_PORT_OFFSET + "), got " + http.port() + "; or write a [cluster] section");
            }
            members.add(new OmenConfig.Member(nodeId, LOOPBACK + ":" + raftPort, LOOPBACK + ":" + http.port(), zone));
            notices.accept(new ConfigNotice(ConfigNotice.Severity.INFO, "cluster", "no [[cluster.members]]: "
                    + "a one-node cluster (node " + nodeId + ", Raft on " + LOOPBACK + ":" + raftPort
                    + ", one replica per range); a cluster of several nodes lists them all in [cluster]"));
        }
        withOwnZone(members, nodeId, zone, zoneKey);
        int rf = t.intIn("replication_factor", Math.min(3, members.size()), 1, 7);
        List<byte[]> splits = new ArrayList<>();
        for (String s : t.strings("initial_split_points")) {
            splits.add(splitPoint(s));
        }
        return new OmenConfig.Cluster(nodeId, rf, members, splits, t.bool("join", false));
    }

    /**
     * This node's zone is {@code [cluster] zone} (or its variable), else the {@code zone} of its own members entry;
     * both set, they must agree (two answers to one question are a mistake, not a choice). Its entry, if any, then
     * carries that zone.
     */
    private static void withOwnZone(List<OmenConfig.Member> members, String nodeId, String zone, String zoneKey) {
        for (int i = 0; i < members.size(); i++) {
            OmenConfig.Member m = members.get(i);
            if (!m.id().equals(nodeId)) {
                continue;
            }
            if (!zone.isEmpty() && !m.zone().isEmpty() && !zone.equals(m.zone())) {
                throw new ConfigException(zoneKey, "'" + zone + "' differs from the zone '" + m.zone() + "' of this "
                        + "node's own [[cluster.members]] entry ('" + nodeId + "'); give one zone, or the same in "
                        + "both");
            }
            members.set(i, m.withZone(zone.isEmpty() ? m.zone() : zone));
        }
    }

    /** {@code "hex:00ff"} is raw bytes; anything else is the UTF-8 bytes of the string. Empty is refused. */
    private static byte[] splitPoint(String s) {
        byte[] b;
        if (s.startsWith(SPLIT_POINT_HEX_PREFIX)) {
            try {
                b = HexFormat.of().parseHex(s.substring(SPLIT_POINT_HEX_PREFIX.length()));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("cluster.initial_split_points", "'" + s + "' is not valid hex");
            }
        } else {
            b = s.getBytes(StandardCharsets.UTF_8);
        }
        if (b.length == 0) {
            throw new ConfigException("cluster.initial_split_points", "split points must not be empty");
        }
        return b;
    }

    private static String envValue(String env, String key, String v, Predicate<String> ok,
                                   String expectation) {
        if (!ok.test(v)) {
            throw new ConfigException(key + " (" + env + ")", expectation + ", got '" + v + "'");
        }
        return v;
    }

    private static long parseLong(String env, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("http.port (" + env + ")", "must be an integer, got '" + v + "'");
        }
    }
}
