package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.RangeDescriptor;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A re-admission ({@link GroupBootstrap#readmitOnce}) that finds the node's replica of the group closed by Ratis (a
 * division shut down stays listed and never answers again) replaces it with a new empty one, which the leader's
 * add-back catches up; keeping it, as an earlier try's replica is kept, stalled the add-back for good.
 */
class ReadmitClosedReplicaTest {
    @TempDir
    Path dir;

    @Test
    void aClosedReplicaIsReplacedAndCaughtUp() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template(""));
             ClusterClient client = cluster.newClient(null)) {
            client.awaitRangeTable(java.time.Duration.ofSeconds(CALL_TIMEOUT_S));
            Map<String, String> written = new ConcurrentHashMap<>();
            for (int i = 0; i < 50; i++) {
                TestClusters.put(client, "a-" + i, "v" + i);
                written.put("a-" + i, "v" + i);
            }
            RangeDescriptor range = client.rangeTable().rangeForKey(TestClusters.b("a-0"));
            RaftGroupId groupId = RaftGroupId.valueOf(range.groupId());
            OmenNode n3 = cluster.node("n3");
            n3.raftServer().getDivision(groupId).close();
            assertTrue(HostedGroups.closed(n3.raftServer(), groupId), "closed, and still listed");

            GroupBootstrap bootstrap = new GroupBootstrap(cluster.configOf("n3"), n3.raftServer(), client, g -> false);
            RaftGroup group = RaftGroup.valueOf(groupId, range.peerIds().stream()
                    .map(id -> GroupBootstrap.self(cluster.configOf(id))).toList());
            CompletableFuture<Void> readmitted = CompletableFuture.runAsync(() -> {
                try {
                    bootstrap.readmitOnce(group, false);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            readmitted.get(CALL_TIMEOUT_S, TimeUnit.SECONDS); // kept closed, the add-back never completes
            assertFalse(HostedGroups.closed(n3.raftServer(), groupId), "a new replica replaced the closed one");

            long last = TestClusters.put(client, "a-last", "done");
            byte[] leaderDigest = null;
            for (String node : range.peerIds()) {
                byte[] d = TestClusters.replicaDigestOnceReachable(client, range.rangeId(), node, last);
                if (leaderDigest == null) {
                    leaderDigest = d;
                }
                assertArrayEquals(leaderDigest, d, "replica on " + node + " holds what the others hold");
            }
            written.put("a-last", "done");
            TestClusters.assertReadsBack(client, written);
        }
    }
}
