package io.omendb.raft;

import io.omendb.config.OmenConfig;
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

import java.net.InetAddress;
import java.net.ServerSocket;
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
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Admin calls to nodes that do not answer, on a real cluster (three nodes, RF 3, four ranges).
 *
 * <p>A silent peer (a member whose address accepts connections and never answers, as a hung or partitioned node
 * does): many calls to it at once (more than the client's admin pool has threads) do not delay a probe of the live n1
 * beyond the admin call bound ({@link ClientOptions#ADMIN_CALL_TIMEOUT_MS_DEFAULT}), and each fails UNAVAILABLE. Under
 * the shared pool each held a thread for the client's whole retry budget (20 attempts that each wait out the request
 * timeout) and the probe waited behind them.
 *
 * <p>A stopped node (n3): calls to it fail UNAVAILABLE, and a range status shows its replica unreachable and the
 * others answering.
 */
class UnreachableNodeAdminTest {
    /** Calls to the node that does not answer, started at once: several times the old shared pool's two threads. */
    static final int CALLS_TO_SILENT_NODE = 8;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void callsToANodeThatDoesNotAnswerDoNotDelayAProbeOfALiveNode() throws Exception {
        try (LocalCluster cluster = startCluster();
             ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ClusterClient client = clientWithSilentMember(cluster, silent)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            List<CompletableFuture<List<RaftGroupId>>> toSilent = new ArrayList<>();
            for (int i = 0; i < CALLS_TO_SILENT_NODE; i++) {
                toSilent.add(client.admin().nodes().hostedGroups("silent"));
            }

            List<RaftGroupId> onN1 = client.admin().nodes().hostedGroups("n1")
                    .get(ClientOptions.ADMIN_CALL_TIMEOUT_MS_DEFAULT, TimeUnit.MILLISECONDS);
            assertEquals(table.ranges().size() + 1, onN1.size(), "n1 hosts every range and the meta group");
            for (CompletableFuture<List<RaftGroupId>> f : toSilent) {
                assertUnavailable(f);
            }
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aStoppedNodeShowsUnreachableAndTheOthersAnswer() throws Exception {
        try (LocalCluster cluster = startCluster(); ClusterClient client = cluster.newClient(null)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            await(client.admin().nodes().hostedGroups("n3")); // the client has talked to n3 while it was up
            cluster.stopNode("n3");

            assertUnavailable(client.admin().nodes().hostedGroups("n3"));
            for (RangeDescriptor r : table.ranges()) {
                Results.RangeStatus s = await(client.admin().rangeStatus(r.rangeId()));
                for (Results.ReplicaStatus replica : s.replicas()) {
                    assertEquals(replica.nodeId().equals("n3"), replica.role().equals("UNREACHABLE"), s.toString());
                }
            }
        }
    }

    /** Three nodes, RF 3, four ranges. */
    private LocalCluster startCluster() throws Exception {
        return LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [cluster]
                initial_split_points = ["b", "c", "d"]
                """));
    }

    /** A client of {@code cluster} that also knows a member "silent" at {@code silent}'s address. */
    private static ClusterClient clientWithSilentMember(LocalCluster cluster, ServerSocket silent) {
        ClientOptions base = ClientOptions.from(cluster.configOf("n1"));
        List<OmenConfig.Member> members = new ArrayList<>(base.members());
        members.add(new OmenConfig.Member("silent", "127.0.0.1:" + silent.getLocalPort(), null));
        return ClusterClient.connect(new ClientOptions(base.database(), members, base.metaPeers(), base.replicationFactor(), base.limits(),
                base.commandBytesMax(), base.requestTimeoutMs(), base.retryAttemptsMax(), base.adminCallTimeoutMs(),
                base.outstandingRequestsMax(), null, base.tlsOrNull(), base.groupCommit(), null));
    }

    private static void assertUnavailable(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(f));
        assertEquals(ErrorCode.UNAVAILABLE, assertInstanceOf(ClientException.class, e.getCause()).code());
    }
}
