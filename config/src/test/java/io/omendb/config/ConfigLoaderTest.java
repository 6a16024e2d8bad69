package io.omendb.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    private static final String THREE_NODES = """
            [cluster]
            node_id = "n2"
            replication_factor = 3
            initial_split_points = ["g", "hex:7000"]
            [[cluster.members]]
            id = "n1"
            raft_address = "127.0.0.1:7001"
            http_address = "127.0.0.1:3001"
            [[cluster.members]]
            id = "n2"
            raft_address = "127.0.0.1:7002"
            [[cluster.members]]
            id = "n3"
            raft_address = "127.0.0.1:7003"
            """;

    @Test
    void defaultsAreASingleNodeCluster() {
        OmenConfig c = ConfigLoader.defaults();
        assertEquals("omendb", c.database().name());
        assertEquals(3000, c.http().port());
        assertEquals(9090, c.monitoring().metricsPort());
        assertEquals(32, c.index().maxError());
        assertEquals(IndexModel.RECURSIVE, c.index().modelType());
        assertTrue(c.wal().syncOnWrite());
        assertTrue(c.security().authEnabled());
        assertEquals(1, c.cluster().members().size());
        assertEquals(1, c.cluster().replicationFactor());
        assertEquals(4096, c.limits().maxKeySizeBytes());
        assertEquals(1 << 20, c.limits().maxValueSizeBytes());
        assertTrue(c.performance().commandBytesMax() >= 4096 + 2 * (1 << 20),
                "a CAS of a maximal key and two maximal values fits one Raft entry");
    }

    @Test
    void theDefaultWriteBufferIsTheSmallestThatHoldsACasAtTheDefaultLimits() {
        // Ratis allocates it per group replica: no KiB beyond what the largest single-key command needs
        assertEquals(2304, ConfigLoader.parse("", Map.of()).performance().raftWriteBufferKb());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                [performance]
                raft_write_buffer_kb = 2056
                """, Map.of()));
        assertEquals("performance.raft_write_buffer_kb", e.key());
        assertTrue(e.getMessage().contains("at least 2057"), e.getMessage());
    }

    @Test
    void mergeSizeDefaultsBelowHalfTheSplitSizeAndAnExplicitOneAboveIsRefused() {
        assertEquals(8, ConfigLoader.parse("", Map.of()).ranges().mergeSizeMb());
        assertEquals(2, ConfigLoader.parse("""
                [ranges]
                split_size_mb = 16
                """, Map.of()).ranges().mergeSizeMb(), "an eighth of a small split size");
        assertEquals(8, ConfigLoader.parse("""
                [ranges]
                split_size_mb = 0
                """, Map.of()).ranges().mergeSizeMb());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                [ranges]
                split_size_mb = 16
                merge_size_mb = 9
                """, Map.of()));
        assertEquals("ranges.merge_size_mb", e.key());
        assertTrue(e.getMessage().contains("at most half of split_size_mb = 16"), e.getMessage());
    }

    @Test
    void aWriteBufferTooSmallForTheLimitsIsRefusedWithTheSizeNeeded() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                [performance]
                raft_write_buffer_kb = 2048
                """, Map.of()));
        assertEquals("performance.raft_write_buffer_kb", e.key());
        assertTrue(e.getMessage().contains("at least 2057"), e.getMessage());
        assertEquals(64 * 1024 - 4096 - 8, ConfigLoader.parse("""
                [performance]
                raft_write_buffer_kb = 64
                [limits]
                max_value_size_bytes = 16384
                """, Map.of()).performance().commandBytesMax());
    }

    @Test
    void everySectionIsRead() {
        OmenConfig c = ConfigLoader.parse("""
                [database]
                name = "orders"
                data_dir = "/var/lib/omendb"
                log_level = "debug"
                [storage]
                enable_compression = true
                [index]
                max_error = 64
                retrain_threshold = 5000
                model_type = "linear"
                [wal]
                sync_on_write = false
                snapshot_threshold_entries = 1000
                [http]
                port = 8080
                [security]
                auth_enabled = false
                [monitoring]
                metrics_port = 9191
                [performance]
                election_timeout_min_ms = 1500
                election_timeout_max_ms = 3000
                [limits]
                max_insert_batch_size = 10
                [backup]
                log_archive_dir = "archive"
                log_archive_interval_ms = 2500
                """ + THREE_NODES, Map.of());
        assertEquals("orders", c.database().name());
        assertTrue(c.backup().archiving());
        assertEquals(Path.of("/var/lib/omendb/archive"), c.backup().logArchivePath(c.database().dataDir()));
        assertEquals(2500, c.backup().logArchiveIntervalMs());
        assertFalse(ConfigLoader.defaults().backup().archiving(), "archiving is off unless a directory is set");
        assertEquals(Path.of("/var/lib/omendb"), c.database().dataDir());
        assertTrue(c.storage().compressionEnabled());
        assertEquals(64, c.index().maxError());
        assertEquals(5000, c.index().retrainThreshold());
        assertEquals(IndexModel.LINEAR, c.index().modelType());
        assertFalse(c.wal().syncOnWrite());
        assertEquals(8080, c.http().port());
        assertFalse(c.security().authEnabled());
        assertEquals(1500, c.performance().electionTimeoutMinMs());
        assertEquals(10, c.limits().maxInsertBatchSize());
        assertEquals("n2", c.cluster().self().id());
        assertEquals(2, c.cluster().initialSplitPoints().size());
        assertEquals(0x70, c.cluster().initialSplitPoints().get(1)[0]);
    }

    @Test
    void environmentOverridesWin() {
        OmenConfig c = ConfigLoader.parse("[http]\nport = 8080\n", Map.of(
                ConfigLoader.ENV_DATA_DIR, "/data/x", ConfigLoader.ENV_HTTP_PORT, "4000",
                ConfigLoader.ENV_AUTH_DISABLED, "true", ConfigLoader.ENV_LOG_LEVEL, "WARN"));
        assertEquals(Path.of("/data/x"), c.database().dataDir());
        assertEquals(4000, c.http().port());
        assertFalse(c.security().authEnabled());
        assertEquals("warn", c.database().logLevel());
    }

    @Test
    void placementSettingsAreRead() {
        OmenConfig.Placement p = ConfigLoader.parse("""
                [placement]
                leader_balance_interval_s = 0
                max_moves_per_node = 2
                busy_round_interval_ms = 250
                """, Map.of()).placement();
        assertEquals(new OmenConfig.Placement(0, 2, 250, 300), p);
        assertEquals(new OmenConfig.Placement(60, 4, 1000, 300), ConfigLoader.defaults().placement());
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("[database]\nname = \"\"", "database.name"),
                Arguments.of("[database]\nlog_level = \"loud\"", "database.log_level"),
                Arguments.of("[database]\nname = 5", "database.name"),
                Arguments.of("[storage]\nenable_compression = \"yes\"", "storage.enable_compression"),
                Arguments.of("[index]\nmax_error = 0", "index.max_error"),
                Arguments.of("[index]\nmax_error = \"big\"", "index.max_error"),
                Arguments.of("[index]\nretrain_threshold = -1", "index.retrain_threshold"),
                Arguments.of("[index]\nmodel_type = \"neural\"", "index.model_type"),
                Arguments.of("[wal]\nsync_on_write = 1", "wal.sync_on_write"),
                Arguments.of("[backup]\nlog_archive_interval_ms = 50", "backup.log_archive_interval_ms"),
                Arguments.of("[backup]\nlog_archive = \"x\"", "backup.log_archive"),
                Arguments.of("[wal]\nsnapshot_threshold_entries = 1", "wal.snapshot_threshold_entries"),
                Arguments.of("[wal]\nsnapshot_retention_count = 0", "wal.snapshot_retention_count"),
                Arguments.of("[http]\nport = 70000", "http.port"),
                Arguments.of("[http]\nmax_connections = 0", "http.max_connections"),
                Arguments.of("[security]\nsession_timeout_seconds = 0", "security.session_timeout_seconds"),
                Arguments.of("[security]\ntls_enabled = true", "security.tls_cert_file"),
                Arguments.of("[monitoring]\nmetrics_port = 0", "monitoring.metrics_port"),
                Arguments.of("[monitoring]\nmetrics_port = 3000", "monitoring.metrics_port"),
                Arguments.of("[performance]\nelection_timeout_min_ms = 3000", "performance.election_timeout_max_ms"),
                Arguments.of("[performance]\nraft_write_buffer_kb = 1", "performance.raft_write_buffer_kb"),
                Arguments.of("[placement]\nmax_moves_per_node = 0", "placement.max_moves_per_node"),
                Arguments.of("[placement]\nbusy_round_interval_ms = 50", "placement.busy_round_interval_ms"),
                Arguments.of("[limits]\nmax_key_size_bytes = 0", "limits.max_key_size_bytes"),
                Arguments.of("[limits]\nmax_value_size_bytes = -5", "limits.max_value_size_bytes"),
                Arguments.of("[limits]\nmax_insert_batch_size = 0", "limits.max_insert_batch_size"),
                Arguments.of("[limits]\nmax_query_duration_ms = 0", "limits.max_query_duration_ms"),
                Arguments.of("[limits]\nmemory_limit_mb = 1", "limits.memory_limit_mb"),
                Arguments.of("[cluster]\nnode_id = \"n9\"\n[[cluster.members]]\nid = \"n1\"\nraft_address = \"h:1\"", "cluster.node_id"),
                Arguments.of("[cluster]\nreplication_factor = 3", "cluster.replication_factor"),
                Arguments.of("[cluster]\nreplication_factor = 9", "cluster.replication_factor"),
                Arguments.of("[cluster]\ninitial_split_points = [\"b\", \"a\"]", "cluster.initial_split_points"),
                Arguments.of("[cluster]\ninitial_split_points = [\"hex:zz\"]", "cluster.initial_split_points"),
                Arguments.of("[cluster]\ninitial_split_points = [\"\"]", "cluster.initial_split_points"),
                Arguments.of("[[cluster.members]]\nid = \"n1\"", "cluster.members[0].raft_address"),
                Arguments.of("[[cluster.members]]\nid = \"n1\"\nraft_address = \"nohost\"", "cluster.members[0].raft_address"),
                Arguments.of("[index]\nmax_eror = 3", "index.max_eror"),
                Arguments.of("[indexes]\nmax_error = 3", "indexes"),
                Arguments.of("[[cluster.members]]\nid = \"n1\"\nraft_address = \"h:1\"\nzone = \"a b\"", "cluster.members[0].zone"),
                Arguments.of("[cluster]\nzone = \"-a\"", "cluster.zone"),
                Arguments.of("[cluster]\nzone = \"" + "z".repeat(65) + "\"", "cluster.zone"),
                Arguments.of("[cluster]\nzone = 3", "cluster.zone"),
                Arguments.of("[cluster]\nzone = \"a\"\n[[cluster.members]]\nid = \"n1\"\nraft_address = \"h:1\"\n"
                        + "zone = \"b\"", "cluster.zone"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badValues")
    void badValuesAreRefusedNamingTheKey(String toml, String key) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(toml, Map.of()));
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().startsWith(key + ":"), e.getMessage());
    }

    @Test
    void badEnvironmentValuesAreRefusedNamingTheKey() {
        assertEquals("http.port (OMENDB_HTTP_PORT)", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("", Map.of(ConfigLoader.ENV_HTTP_PORT, "eighty"))).key());
        assertEquals("http.port (OMENDB_HTTP_PORT)", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("", Map.of(ConfigLoader.ENV_HTTP_PORT, "0"))).key());
        assertEquals("security.auth_enabled (OMENDB_AUTH_DISABLED)", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("", Map.of(ConfigLoader.ENV_AUTH_DISABLED, "maybe"))).key());
        assertEquals("database.log_level (OMENDB_LOG_LEVEL)", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("", Map.of(ConfigLoader.ENV_LOG_LEVEL, "chatty"))).key());
        assertEquals("cluster.zone (OMENDB_CLUSTER_ZONE)", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("", Map.of(ConfigLoader.ENV_CLUSTER_ZONE, "eu west"))).key());
        assertEquals("cluster.zone (OMENDB_CLUSTER_ZONE)", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[[cluster.members]]\nid = \"n1\"\nraft_address = \"h:1\"\nzone = \"a\"",
                        Map.of(ConfigLoader.ENV_CLUSTER_ZONE, "b"))).key());
    }

    @Test
    void zonesAreReadForThisNodeAndTheOtherMembers() {
        String n3InC = THREE_NODES.replace("7003\"\n", "7003\"\nzone = \"c\"\n");
        OmenConfig.Cluster c = ConfigLoader.parse(withClusterZone(n3InC, "eu-west-1b"), Map.of()).cluster();
        assertEquals(List.of("", "eu-west-1b", "c"), c.members().stream().map(OmenConfig.Member::zone).toList());
        assertEquals("eu-west-1b", c.self().zone());
        assertEquals("", ConfigLoader.parse(THREE_NODES, Map.of()).cluster().self().zone(), "no zone: none");
        String ownEntryInB = THREE_NODES.replace("7002\"\n", "7002\"\nzone = \"b\"\n");
        assertEquals("b", ConfigLoader.parse(ownEntryInB, Map.of()).cluster().self().zone(),
                "this node's own entry gives its zone");
        assertEquals("b", ConfigLoader.parse(withClusterZone(ownEntryInB, "b"), Map.of()).cluster().self().zone(),
                "the same zone twice agrees");
        assertEquals("c_2", ConfigLoader.parse(withClusterZone(THREE_NODES, "a"),
                Map.of(ConfigLoader.ENV_CLUSTER_ZONE, "c_2")).cluster().self().zone(), "the variable wins");
        assertEquals("a.1", ConfigLoader.parse("[cluster]\nzone = \"a.1\"", Map.of()).cluster().self().zone(),
                "a one-node cluster has a zone too");
    }

    /** {@code toml}, whose {@code [cluster]} section comes first, with {@code [cluster] zone = zone}. */
    private static String withClusterZone(String toml, String zone) {
        return toml.replaceFirst("\\[cluster]\n", "[cluster]\nzone = \"" + zone + "\"\n");
    }

    /** {@code [cluster]} of node {@code nodeId} joining, members {@code ids} in this order ({@code nI}: port 700I). */
    private static String joining(String nodeId, String... ids) {
        StringBuilder toml = new StringBuilder("[cluster]\nnode_id = \"" + nodeId + "\"\njoin = true\n");
        for (String id : ids) {
            toml.append("[[cluster.members]]\nid = \"").append(id).append("\"\nraft_address = \"127.0.0.1:700")
                    .append(id.substring(1)).append("\"\n");
        }
        return toml.toString();
    }

    @Test
    void aJoiningNodeListsTheMetaPeersThenItself() {
        OmenConfig.Cluster c = ConfigLoader.parse(joining("n4", "n1", "n2", "n3", "n4"), Map.of()).cluster();
        assertTrue(c.join());
        assertEquals("n4", c.self().id());
        assertEquals(List.of("n1", "n2", "n3"), c.metaPeers().stream().map(OmenConfig.Member::id).toList());
        assertFalse(ConfigLoader.parse(THREE_NODES, Map.of()).cluster().join(), "a member of the initial configuration");
    }

    @Test
    void aJoinWithoutTheMetaPeersBeforeTheNodeIsRefused() {
        ConfigException alone = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                [cluster]
                join = true
                """, Map.of()));
        assertEquals("cluster.join", alone.key());
        assertTrue(alone.getMessage().contains("needs the running cluster's members"), alone.getMessage());
        // n4 listed among the first three: it would be taken for a meta group peer
        ConfigException early = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(joining("n4", "n1", "n4", "n2"), Map.of()));
        assertEquals("cluster.join", early.key());
        assertTrue(early.getMessage().contains("cannot be a meta group peer"), early.getMessage());
        assertTrue(early.getMessage().contains("first 3 members"), early.getMessage());
        assertEquals("cluster.join", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[cluster]\njoin = \"yes\"", Map.of())).key());
    }

    @Test
    void duplicateMembersAndInvalidTomlAreRefused() {
        assertEquals("cluster.members", assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                [[cluster.members]]
                id = "n1"
                raft_address = "h:1"
                [[cluster.members]]
                id = "n1"
                raft_address = "h:2"
                """, Map.of())).key());
        assertEquals("omendb.toml", assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[index\nmax_error = ", Map.of())).key());
    }
}
