package io.omendb.config;

import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operations guide's example {@code omendb.toml} ({@code conf/omendb-guide-example.toml}) loads, and every key in
 * it takes its meaning: product keys and the guide's aliases set the value this product reads, ignored keys are
 * reported with a reason, and the values that cannot be honoured are refused with a message naming what to write.
 */
class GuideExampleConfigTest {
    static final Path GUIDE_EXAMPLE = Path.of("..", "conf", "omendb-guide-example.toml");

    /** Every key of the example file and the value it must produce. */
    private static final Map<String, Expect> EXPECTED = new LinkedHashMap<>();

    private record Expect(Function<OmenConfig, Object> actual, Object expected) {
    }

    private static void expect(String key, Function<OmenConfig, Object> actual, Object expected) {
        EXPECTED.put(key, new Expect(actual, expected));
    }

    static {
        expect("database.name", c -> c.database().name(), "omendb");
        expect("database.data_dir", c -> c.database().dataDir(), Path.of("/var/lib/omendb"));
        expect("database.max_memory_mb", c -> c.limits().memoryLimitMb(), 8192L);
        expect("database.expected_size", null, null);
        expect("storage.enable_compression", c -> c.storage().compressionEnabled(), true);
        expect("storage.fsync_enabled", c -> c.storage().fsyncEnabled(), true);
        expect("storage.batch_size", null, null);
        expect("storage.sync_interval_ms", null, null);
        expect("index.max_error", c -> c.index().maxError(), 64);
        expect("index.retrain_threshold", c -> c.index().retrainThreshold(), 500_000);
        expect("index.model_type", c -> c.index().modelType(), IndexModel.RECURSIVE);
        expect("wal.enabled", null, null);
        expect("wal.sync_on_write", c -> c.wal().syncOnWrite(), true);
        expect("wal.segment_size_mb", c -> c.wal().segmentSizeMb(), 64);
        expect("wal.rotation_interval_hours", null, null);
        expect("wal.snapshot_threshold_entries", c -> c.wal().snapshotThresholdEntries(), 200_000L);
        expect("wal.purge_gap_entries", c -> c.wal().purgeGapEntries(), 1024);
        expect("wal.snapshot_retention_count", c -> c.wal().snapshotRetentionCount(), 2);
        expect("wal.purge_upto_snapshot", c -> c.wal().purgeUptoSnapshot(), true);
        expect("http.host", c -> c.http().bindAddress(), "0.0.0.0");
        expect("http.port", c -> c.http().port(), 3000);
        expect("http.request_timeout_ms", c -> c.limits().maxQueryDurationMs(), 30_000L);
        expect("http.max_concurrent_requests", c -> c.performance().maxConcurrentRequests(), 1000);
        expect("security.auth_enabled", c -> c.security().authEnabled(), true);
        expect("security.users_file", c -> c.security().usersFile(), "/etc/omendb/users.htpasswd");
        expect("security.roles_file", c -> c.security().rolesFile(), "/etc/omendb/roles.txt");
        expect("security.session_timeout_seconds", c -> c.security().sessionTimeoutSeconds(), 3600L);
        expect("security.tls_enabled", c -> c.security().tlsEnabled(), true);
        expect("security.tls_cert_file", c -> c.security().tlsCertFile(), "/etc/omendb/tls/server.crt");
        expect("security.tls_key_file", c -> c.security().tlsKeyFile(), "/etc/omendb/tls/server.key");
        expect("security.tls_ca_file", c -> c.security().tlsCaFile(), "/etc/omendb/tls/ca.crt");
        expect("security.metrics_auth_enabled", c -> c.security().metricsAuthEnabled(), false);
        expect("monitoring.prometheus_enabled", c -> c.monitoring().metricsEnabled(), true);
        expect("monitoring.metrics_bind_address", c -> c.monitoring().metricsBindAddress(), "0.0.0.0");
        expect("monitoring.prometheus_port", c -> c.monitoring().metricsPort(), 9090);
        expect("monitoring.health_check_interval_ms", null, null);
        expect("monitoring.log_level", c -> c.database().logLevel(), "info");
        expect("monitoring.log_format", c -> c.monitoring().logs().format(), OmenConfig.Monitoring.LogFormat.JSON);
        expect("performance.worker_threads", c -> c.performance().workerThreadCount(), 8);
        expect("performance.io_threads", c -> c.performance().ioThreads(), 4);
        expect("performance.enable_simd", null, null);
        expect("performance.prefetch_size", null, null);
        expect("performance.election_timeout_min_ms", c -> c.performance().electionTimeoutMinMs(), 1000);
        expect("performance.election_timeout_max_ms", c -> c.performance().electionTimeoutMaxMs(), 2000);
        expect("performance.raft_request_timeout_ms", c -> c.performance().raftRequestTimeoutMs(), 3000);
        expect("performance.raft_write_buffer_kb", c -> c.performance().raftWriteBufferKb(), 2304);
        expect("performance.leader_lease_enabled", c -> c.performance().leaderLeaseEnabled(), true);
        expect("performance.group_commit_entries_in_flight_max",
                c -> c.performance().groupCommitEntriesInFlightMax(), 1);
        expect("performance.group_commit_linger_max_us", c -> c.performance().groupCommitLingerMaxUs(), 5000);
        expect("performance.group_commit_forward_to_leader", c -> c.performance().groupCommitForwardToLeader(), true);
        expect("performance.group_commit_writes_max", c -> c.performance().groupCommitWritesMax(), 256);
        expect("limits.max_connections", c -> c.http().maxConnections(), 2000);
        expect("limits.max_key_size_bytes", c -> c.limits().maxKeySizeBytes(), 4096);
        expect("limits.max_value_size_bytes", c -> c.limits().maxValueSizeBytes(), 1 << 20);
        expect("limits.max_insert_batch_size", c -> c.limits().maxInsertBatchSize(), 1000);
        expect("limits.max_scan_limit", c -> c.limits().maxScanLimit(), 10_000);
        expect("limits.request_read_timeout_ms", c -> c.limits().requestReadTimeoutMs(), 10_000L);
        expect("backup.log_archive_dir", c -> c.backup().logArchiveDir(), "");
        expect("backup.log_archive_interval_ms", c -> c.backup().logArchiveIntervalMs(), 10_000L);
    }

    /** Keys ignored with a WARN: the guide's keys without meaning here. */
    private static final Set<String> IGNORED_IN_EXAMPLE = Set.of("database.expected_size", "storage.batch_size",
            "storage.sync_interval_ms", "wal.rotation_interval_hours", "monitoring.health_check_interval_ms",
            "performance.enable_simd", "performance.prefetch_size");

    @Test
    void theGuidesExampleLoadsAndEveryKeyTakesItsMeaning() throws Exception {
        List<ConfigNotice> notices = new ArrayList<>();
        OmenConfig c = ConfigLoader.load(GUIDE_EXAMPLE, Map.of(), notices::add);

        Set<String> inFile = new TreeSet<>();
        new TomlMapper().readTree(GUIDE_EXAMPLE.toFile()).fields().forEachRemaining(s ->
                s.getValue().fieldNames().forEachRemaining(k -> inFile.add(s.getKey() + "." + k)));
        assertEquals(new TreeSet<>(EXPECTED.keySet()), inFile, "every key of the example has an expectation here");

        for (var e : EXPECTED.entrySet()) {
            if (e.getValue().actual() != null) {
                assertEquals(e.getValue().expected(), e.getValue().actual().apply(c), e.getKey());
            }
        }
        for (GuideKeys.Alias a : GuideKeys.ALIASES) {
            assertTrue(inFile.contains(a.qualified()), "the example uses the guide's " + a.qualified());
            assertTrue(notices.contains(new ConfigNotice(ConfigNotice.Severity.INFO, a.qualified(),
                    "read as " + a.target() + " (the operations guide's name for it)")), a.qualified());
        }
        for (String key : IGNORED_IN_EXAMPLE) {
            assertTrue(notices.stream().anyMatch(n -> n.key().equals(key) && n.severity() == ConfigNotice.Severity.WARN
                    && n.message().startsWith("ignored: ")), key + " is reported as ignored: " + notices);
        }
        assertTrue(notices.stream().anyMatch(n -> n.key().equals("wal.enabled")
                && n.message().contains("always on")), notices.toString());
        assertEquals(1, c.cluster().members().size());
        assertEquals(new OmenConfig.Member("n1", "127.0.0.1:7000", "127.0.0.1:3000"), c.cluster().self());
        assertEquals(1, c.cluster().replicationFactor());
        assertTrue(notices.stream().anyMatch(n -> n.key().equals("cluster")
                && n.message().contains("a one-node cluster (node n1, Raft on 127.0.0.1:7000")), notices.toString());
    }

    /** Every guide key this product ignores is named in the example file, so the test above reports each. */
    @Test
    void everyIgnoredGuideKeyIsInTheExample() {
        for (GuideKeys.Ignored i : GuideKeys.IGNORED) {
            assertTrue(IGNORED_IN_EXAMPLE.contains(i.qualified()), i.qualified());
        }
    }

    static Stream<Arguments> aliases() {
        return Stream.of(
                Arguments.of("[database]\nmax_memory_mb = 512", "[limits]\nmemory_limit_mb = 512",
                        (Function<OmenConfig, Object>) c -> c.limits().memoryLimitMb()),
                Arguments.of("[http]\nhost = \"10.1.2.3\"", "[http]\nbind_address = \"10.1.2.3\"",
                        (Function<OmenConfig, Object>) c -> c.http().bindAddress()),
                Arguments.of("[http]\nrequest_timeout_ms = 7000", "[limits]\nmax_query_duration_ms = 7000",
                        (Function<OmenConfig, Object>) c -> c.limits().maxQueryDurationMs()),
                Arguments.of("[http]\nmax_concurrent_requests = 64", "[performance]\nmax_concurrent_requests = 64",
                        (Function<OmenConfig, Object>) c -> c.performance().maxConcurrentRequests()),
                Arguments.of("[limits]\nmax_connections = 77", "[http]\nmax_connections = 77",
                        (Function<OmenConfig, Object>) c -> c.http().maxConnections()),
                Arguments.of("[monitoring]\nprometheus_enabled = false", "[monitoring]\nmetrics_enabled = false",
                        (Function<OmenConfig, Object>) c -> c.monitoring().metricsEnabled()),
                Arguments.of("[monitoring]\nprometheus_port = 9191", "[monitoring]\nmetrics_port = 9191",
                        (Function<OmenConfig, Object>) c -> c.monitoring().metricsPort()),
                Arguments.of("[monitoring]\nlog_level = \"debug\"", "[database]\nlog_level = \"debug\"",
                        (Function<OmenConfig, Object>) c -> c.database().logLevel()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("aliases")
    void aGuideNameSetsTheSameValueAsTheProductName(String guide, String product, Function<OmenConfig, Object> value) {
        Object expected = value.apply(ConfigLoader.parse(product, Map.of()));
        assertTrue(!expected.equals(value.apply(ConfigLoader.defaults())), "the case sets a value other than the default");
        assertEquals(expected, value.apply(ConfigLoader.parse(guide, Map.of())));
    }

    @Test
    void bothNamesOfOneSettingAreRefusedNamingBoth() {
        for (GuideKeys.Alias a : GuideKeys.ALIASES) {
            String toml = a.section().equals(a.targetSection())
                    ? "[" + a.section() + "]\n" + a.key() + " = 1\n" + a.targetKey() + " = 1\n"
                    : "[" + a.section() + "]\n" + a.key() + " = 1\n[" + a.targetSection() + "]\n" + a.targetKey() + " = 1\n";
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(toml, Map.of()), toml);
            assertEquals(a.qualified(), e.key());
            assertEquals(a.qualified() + ": both " + a.qualified() + " and " + a.target() + " are set: "
                    + a.qualified() + " is the operations guide's name for " + a.target() + "; keep only "
                    + a.target(), e.getMessage());
        }
    }

    @Test
    void aBadValueUnderAGuideNameIsRefusedNamingTheGuidesKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[monitoring]\nprometheus_port = 0", Map.of()));
        assertEquals("monitoring.prometheus_port: must be in [1, 65535], got 0", e.getMessage());
        assertEquals("http.host", refusedKey("[http]\nhost = \"\""));
        assertEquals("database.max_memory_mb", refusedKey("[database]\nmax_memory_mb = 1"));
    }

    @Test
    void theWalCannotBeTurnedOff() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[wal]\nenabled = false", Map.of()));
        assertEquals("wal.enabled", e.key());
        assertTrue(e.getMessage().contains("the Raft log is the write-ahead log"), e.getMessage());
        assertTrue(e.getMessage().contains("delete the key"), e.getMessage());
        assertTrue(e.getMessage().contains("[wal] sync_on_write = false"), e.getMessage());
        assertEquals("wal.enabled", refusedKey("[wal]\nenabled = \"no\""));
    }

    static Stream<Arguments> ignoredKeys() {
        return Stream.of(
                Arguments.of("database.expected_size", "[cluster] initial_split_points"),
                Arguments.of("storage.batch_size", "[performance] group_commit_writes_max"),
                Arguments.of("storage.sync_interval_ms", "[wal] sync_on_write"),
                Arguments.of("wal.rotation_interval_hours", "[wal] segment_size_mb"),
                Arguments.of("monitoring.health_check_interval_ms", "set the probe's period"),
                Arguments.of("performance.enable_simd", "delete the key"),
                Arguments.of("performance.prefetch_size", "[limits] max_scan_limit"));
    }

    /** Each ignored key says why and what to write instead, and is still type-checked. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("ignoredKeys")
    void anIgnoredKeyIsReportedWithWhatToWriteInstead(String key, String replacement) {
        String section = key.substring(0, key.indexOf('.'));
        String name = key.substring(key.indexOf('.') + 1);
        String value = name.startsWith("enable_") ? "true" : "5";
        List<ConfigNotice> notices = new ArrayList<>();
        assertEquals(ConfigLoader.defaults(), ConfigLoader.parse("[" + section + "]\n" + name + " = " + value,
                Map.of(), notices::add));
        ConfigNotice n = notices.stream().filter(x -> x.key().equals(key)).findFirst().orElseThrow();
        assertEquals(ConfigNotice.Severity.WARN, n.severity());
        assertTrue(n.message().startsWith("ignored: ") && n.message().contains(replacement), n.message());
        assertEquals(key, refusedKey("[" + section + "]\n" + name + " = \"x\""));
        assertEquals(GuideKeys.IGNORED.size(), ignoredKeys().count(), "every ignored key has a case here");
    }

    @Test
    void threadCounts() {
        OmenConfig defaults = ConfigLoader.defaults();
        assertEquals(0, defaults.performance().workerThreads());
        assertEquals(Math.max(2, Runtime.getRuntime().availableProcessors()),
                defaults.performance().workerThreadCount(), "0 picks max(2, processors), as before the key existed");
        assertEquals(ConfigLoader.HTTP_IO_THREADS_DEFAULT, defaults.performance().ioThreads());
        assertEquals("performance.io_threads", refusedKey("[performance]\nio_threads = 0"));
        assertEquals("performance.worker_threads", refusedKey("[performance]\nworker_threads = 5000"));
    }

    @Test
    void withoutClusterMembersTheNodeIsAOneNodeClusterWithRaftBesideItsHttpPort() {
        List<ConfigNotice> notices = new ArrayList<>();
        OmenConfig c = ConfigLoader.parse("[http]\nport = 3100", Map.of(), notices::add);
        assertEquals(List.of(new OmenConfig.Member("n1", "127.0.0.1:7100", "127.0.0.1:3100")), c.cluster().members());
        assertEquals(1, c.cluster().replicationFactor());
        assertEquals(new ConfigNotice(ConfigNotice.Severity.INFO, "cluster", "no [[cluster.members]]: a one-node "
                + "cluster (node n1, Raft on 127.0.0.1:7100, one replica per range); a cluster of several nodes "
                + "lists them all in [cluster]"), notices.get(0));
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[http]\nport = 62000", Map.of()));
        assertEquals("http.port: must be at most 61535 without [[cluster.members]] (Raft then listens on http.port "
                + "+ 4000), got 62000; or write a [cluster] section", e.getMessage());
    }

    /** The key named by the refusal of {@code toml}. */
    private static String refusedKey(String toml) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(toml, Map.of()), toml).key();
    }
}
