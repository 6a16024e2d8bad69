package io.omendb.router.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import io.omendb.raft.LocalCluster;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.router.backend.BackendUnavailableException;
import io.omendb.router.backend.StorageFootprint;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

/**
 * Before the range table is loaded, requests wait for it within their deadline; when the deadline passes first
 * they fail NOT_READY (503), not with a timeout. Here the table never loads: the only member's Raft port has
 * nobody listening. (Requests served once it loads: app's {@code RouterStartupTest}.)
 */
class RaftKvBackendStartupTest {
    private static final long DEADLINE_MS = 300;

    @Test
    void requestsBeforeTheTableFailNotReadyWhenTheDeadlinePasses() throws Exception {
        int deadPort = LocalCluster.freePorts(1)[0];
        OmenConfig config = ConfigLoader.defaults().withCluster(new OmenConfig.Cluster("n1", 1,
                List.of(new OmenConfig.Member("n1", "127.0.0.1:" + deadPort, "")), List.of()));
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (ClusterClient client = ClusterClient.connect(ClientOptions.from(config));
             RaftKvBackend backend = new RaftKvBackend(client, scheduler, DEADLINE_MS, 50,
                     () -> new StorageFootprint(0, 0))) {
            assertEquals(DEADLINE_MS - DEADLINE_MS / 10, backend.tableWaitMs());
            ExecutionException put = assertThrows(ExecutionException.class,
                    () -> backend.put("k".getBytes(StandardCharsets.UTF_8), new byte[] {1}).get());
            assertInstanceOf(BackendUnavailableException.class, put.getCause());
            assertTrue(put.getCause().getMessage().contains("NOT_READY: the range table has not been loaded yet"),
                    put.getCause().getMessage());

            ExecutionException ready = assertThrows(ExecutionException.class,
                    () -> backend.rangesWithoutLeader().get());
            assertInstanceOf(BackendUnavailableException.class, ready.getCause(), "readiness does not wait");
        } finally {
            scheduler.shutdownNow();
        }
    }
}
