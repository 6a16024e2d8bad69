package io.omendb.raft;

import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;

import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.put;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write that outlives its retries (no quorum) makes Ratis close the client's ordered window to the leader for
 * good; every later write through that client then failed at once with AlreadyClosedException, even with the
 * cluster healthy again (seen in the chaos suite: a router could no longer write to a range). The client must
 * write again once the cluster can.
 */
class ClosedLeaderWindowTest {
    /** Bound on waiting for the cluster (and then the old client) to accept writes after the restart. */
    private static final long WRITABLE_WAIT_MS = 60_000;
    private static final long POLL_MS = 200;

    @TempDir
    Path dir;

    @Test
    void aClientWritesAgainAfterOneWriteExhaustedItsRetries() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template(""));
             ClusterClient impatient = impatientClient(cluster)) {
            impatient.awaitRangeTable(Duration.ofSeconds(60));
            // a fresh cluster may still be electing range leaders: two 500 ms attempts are not always enough yet
            assertTrue(writesWithin(impatient, WRITABLE_WAIT_MS), "the fresh cluster accepts a first write");

            cluster.stopNode("n2");
            cluster.stopNode("n3");
            assertThrows(ExecutionException.class, () -> await(impatient.put(TestClusters.b("k"),
                    TestClusters.b("no quorum"))), "a write without a quorum fails once its retries are spent");

            cluster.startNode("n2");
            cluster.startNode("n3");
            try (ClusterClient fresh = cluster.newClient(null)) {
                fresh.awaitRangeTable(Duration.ofSeconds(60));
                put(fresh, "k", "healthy"); // the cluster accepts writes again (patient client, elections included)
            }
            assertTrue(writesWithin(impatient, WRITABLE_WAIT_MS), "the client that saw the failure writes again");
        }
    }

    /** Two attempts of 500 ms: a write without a quorum fails in about a second. */
    private static ClusterClient impatientClient(LocalCluster cluster) {
        ClientOptions base = ClientOptions.from(cluster.configOf("n1"));
        return ClusterClient.connect(new ClientOptions(base.database(), base.members(), base.metaPeers(),
                base.replicationFactor(), base.limits(), base.commandBytesMax(), 500, 2, base.adminCallTimeoutMs(), base.outstandingRequestsMax(),
                null, base.tlsOrNull(), base.groupCommit(), null));
    }

    private static boolean writesWithin(ClusterClient client, long boundMs) throws InterruptedException {
        long deadline = System.nanoTime() + boundMs * 1_000_000;
        while (System.nanoTime() < deadline) {
            try {
                put(client, "k", "after");
                return true;
            } catch (Exception e) {
                Thread.sleep(POLL_MS); // an election after the restart, or the one call that finds the window closed
            }
        }
        return false;
    }
}
