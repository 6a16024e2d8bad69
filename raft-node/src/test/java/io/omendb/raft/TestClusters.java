package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ReadOptions;
import io.omendb.raft.client.Results;
import io.omendb.raft.config.ConfigLoader;
import io.omendb.raft.config.OmenConfig;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Shared helpers of the multi-node tests. */
final class TestClusters {
    /** Upper bound on any single client call in tests (elections included). */
    static final long CALL_TIMEOUT_S = 60;

    private TestClusters() {
    }

    static OmenConfig template(String extraToml) {
        return ConfigLoader.parse("""
                [database]
                name = "test"
                [storage]
                fsync_enabled = false
                [security]
                auth_enabled = false
                """ + extraToml, Map.of());
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    }

    static long put(ClusterClient client, String key, String value) throws Exception {
        Results.WriteResult r = await(client.put(b(key), b(value)));
        return r.revision();
    }

    static void assertLinearizable(ClusterClient client, String key, String value) throws Exception {
        assertArrayEquals(value == null ? null : b(value), await(client.get(b(key), ReadOptions.linearizable())).value(),
                key);
    }
}
