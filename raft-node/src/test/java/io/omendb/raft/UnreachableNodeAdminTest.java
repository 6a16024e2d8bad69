package io.omendb.raft;

import io.omendb.raft.client.ClientException;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ErrorCode;
import io.omendb.raft.client.Results;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Admin calls to a stopped node on a real cluster (three nodes, RF 3, four ranges, n3 stopped): many calls to n3 at
 * once (more than the client's admin pool has threads) do not delay a probe of the live n1 beyond the admin call bound
 * ({@link ClientOptions#ADMIN_CALL_TIMEOUT_MS_DEFAULT}); under the shared pool each held a thread for the client's
 * whole retry budget (about 30 s of backoff against a refused connection) and the probe waited behind them. Each
 * call to n3 fails UNAVAILABLE, and a range status shows n3's replica unreachable.
 */
class UnreachableNodeAdminTest {
    /** Calls to the stopped node started at once: several times the old shared pool's two threads. */
    static final int CALLS_TO_STOPPED_NODE = 8;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void callsToAStoppedNodeDoNotDelayAProbeOfALiveNode() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [cluster]
                initial_split_points = ["b", "c", "d"]
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            await(client.admin().nodes().hostedGroups("n3")); // the client has talked to n3 while it was up
            cluster.stopNode("n3");

            List<CompletableFuture<List<RaftGroupId>>> toStopped = new ArrayList<>();
            List<CompletableFuture<Results.RangeStatus>> statuses = new ArrayList<>();
            for (int i = 0; i < CALLS_TO_STOPPED_NODE; i++) {
                toStopped.add(client.admin().nodes().hostedGroups("n3"));
                RangeDescriptor r = table.ranges().get(i % table.ranges().size());
                statuses.add(client.admin().rangeStatus(r.rangeId()));
            }

            List<RaftGroupId> onN1 = client.admin().nodes().hostedGroups("n1")
                    .get(ClientOptions.ADMIN_CALL_TIMEOUT_MS_DEFAULT, TimeUnit.MILLISECONDS);
            assertEquals(table.ranges().size() + 1, onN1.size(), "n1 hosts every range and the meta group");

            for (CompletableFuture<List<RaftGroupId>> f : toStopped) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> await(f));
                assertEquals(ErrorCode.UNAVAILABLE, assertInstanceOf(ClientException.class, e.getCause()).code());
            }
            for (CompletableFuture<Results.RangeStatus> f : statuses) {
                Results.RangeStatus s = await(f);
                Results.ReplicaStatus n3 = s.replicas().stream().filter(r -> r.nodeId().equals("n3")).findFirst()
                        .orElseThrow();
                assertEquals("UNREACHABLE", n3.role(), n3.toString());
                assertFalse(s.replicas().stream().filter(r -> !r.nodeId().equals("n3"))
                        .anyMatch(r -> r.role().equals("UNREACHABLE")), s.toString());
            }
        }
    }
}
