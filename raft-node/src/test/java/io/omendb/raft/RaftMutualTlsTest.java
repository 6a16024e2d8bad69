package io.omendb.raft;

import static io.omendb.raft.TestClusters.assertLinearizable;
import static io.omendb.raft.TestClusters.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.config.OmenConfig;
import io.omendb.raft.security.RaftTls;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS between Raft peers with a cluster CA: a 3-node in-JVM cluster whose n3 holds a certificate from
 * another CA. n1 and n2 (one CA) form the quorum and commit writes; n3 cannot complete a handshake with them, so
 * it applies nothing; a client with the foreign certificate cannot even read the range table.
 */
class RaftMutualTlsTest {
    private static final long ROGUE_ATTEMPT_TIMEOUT_S = 60;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void peersOfTheClusterCaCommitAPeerFromAnotherCaCannotJoin() throws Exception {
        Path good = tmp.resolve("good");
        Path rogue = tmp.resolve("rogue");
        TestCertificates.ca(good);
        TestCertificates.node(good, "node");
        TestCertificates.ca(rogue);
        TestCertificates.node(rogue, "node");
        OmenConfig template = TestClusters.template("""
                [cluster]
                initial_split_points = ["m"]
                """);
        try (LocalCluster cluster = LocalCluster.start(tmp.resolve("data"), 3, 3, template,
                (id, c) -> c.withSecurity(TestClusters.tls(c.security(), id.equals("n3") ? rogue : good)))) {
            try (ClusterClient client = cluster.newClient("n1")) {
                assertEquals(2, client.awaitRangeTable(Duration.ofSeconds(60)).ranges().size());
                for (int i = 0; i < 10; i++) {
                    assertTrue(put(client, (i % 2 == 0 ? "a" : "x") + i, "v" + i) > 0);
                }
                assertLinearizable(client, "a0", "v0");
                assertLinearizable(client, "x9", "v9");
            }
            for (RaftGroupId group : cluster.node("n1").hostedGroups()) {
                long n1Applied = applied(cluster, "n1", group);
                assertTrue(n1Applied > 0, "n1 applied " + group);
                assertEquals(0, Math.max(0, applied(cluster, "n3", group)),
                        "n3 (foreign CA) must apply nothing of " + group + " while n1 applied " + n1Applied);
            }
            ClientOptions base = ClientOptions.from(cluster.configOf("n1"));
            ClientOptions rogueOptions = new ClientOptions(base.database(), base.members(), base.metaPeers(),
                    base.replicationFactor(), base.limits(), base.commandBytesMax(), 1_000, 2, base.adminCallTimeoutMs(),
                    base.outstandingRequestsMax(), "n1",
                    RaftTls.load(rogue.resolve("node.pem"), rogue.resolve("node.key"), rogue.resolve("ca.pem"),
                            Clock.systemUTC()),
                    base.groupCommit(), null);
            try (ClusterClient intruder = ClusterClient.connect(rogueOptions)) {
                assertThrows(ExecutionException.class, () -> intruder.refreshRangeTable()
                        .get(ROGUE_ATTEMPT_TIMEOUT_S, TimeUnit.SECONDS), "the intruder cannot read the range table");
            }
        }
    }

    /** The node's last applied index of {@code group}, or -1 when it does not host the group. */
    private static long applied(LocalCluster cluster, String node, RaftGroupId group) throws Exception {
        var server = cluster.node(node).raftServer();
        for (RaftGroupId g : server.getGroupIds()) {
            if (g.equals(group)) {
                return server.getDivision(group).getInfo().getLastAppliedIndex();
            }
        }
        return -1;
    }
}
