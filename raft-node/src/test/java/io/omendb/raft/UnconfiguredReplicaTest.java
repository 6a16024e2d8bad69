package io.omendb.raft;

import io.omendb.raft.storage.NodeDataLayout;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.server.storage.RaftStorageMetadata;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the split reconciler relies on to mend a replica whose node was killed after creating its group and before the
 * leader's first entry reached it ({@link HostedGroups#unconfigured}, {@link HostedGroups#restartWithPeers}): Ratis
 * loads such a group directory at start with no peers, so the replica never becomes a working member on its own; once
 * restarted on its peers from its storage as it is, it is one, and it kept the term (and vote) its storage recorded.
 */
class UnconfiguredReplicaTest {
    @TempDir
    Path dir;

    @Test
    void aGroupLoadedWithoutPeersIsRestartedOnThemWithItsTermKept() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 1, 1, TestClusters.template(""))) {
            cluster.stopNode("n1");
            RaftGroupId group = RaftGroupId.randomId();
            Path groupDir = Files.createDirectories(NodeDataLayout.of(dir.resolve("n1"))
                    .raftDir().resolve(group.getUuid().toString()));
            long termBefore = 7;
            try (RaftStorage storage = RaftStorage.newBuilder().setDirectory(groupDir.toFile())
                    .setOption(RaftStorage.StartupOption.FORMAT).setStorageFreeSpaceMin(SizeInBytes.ONE_MB).build()) {
                storage.initialize(); // what group creation does; then the node "dies" before any entry arrives
                storage.getMetadataFile().persist(RaftStorageMetadata.valueOf(termBefore, RaftPeerId.valueOf("n1")));
            }
            RaftServer server = cluster.startNode("n1").raftServer();
            assertTrue(HostedGroups.hosts(server, group), "Ratis loads every group directory at start");
            assertTrue(HostedGroups.unconfigured(server, group), "... with no peers and no entry");

            HostedGroups.restartWithPeers(server, RaftGroup.valueOf(group,
                    GroupBootstrap.self(cluster.configOf("n1"))));

            RaftServer.Division division = server.getDivision(group);
            long deadline = System.nanoTime() + Duration.ofSeconds(CALL_TIMEOUT_S).toNanos();
            while (!division.getInfo().isLeader() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(division.getInfo().isLeader(), "restarted on its (single) peer, the replica is a member: it "
                    + "elects itself");
            assertTrue(division.getInfo().getCurrentTerm() > termBefore, "the term its storage recorded was kept: "
                    + division.getInfo().getCurrentTerm());
            assertFalse(HostedGroups.unconfigured(server, group));
        }
    }
}
