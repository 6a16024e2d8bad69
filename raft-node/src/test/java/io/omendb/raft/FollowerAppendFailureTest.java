package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.ProtoUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.put;
import static io.omendb.raft.TestClusters.replicaDigestOnceReachable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A follower whose Raft log refuses one append must go on replicating (docs/CHAOS.md bug 7). In the chaos run the
 * refused append was an entry that passed Ratis' consistency check just before a snapshot install emptied the log;
 * Ratis 3.3.0's default "compose" append path then failed every later append of that replica with the same
 * exception until the node restarted. Here the one refused append is injected deterministically: the test sends
 * the follower, on behalf of its leader and in the current term, one entry whose term is below its last entry's —
 * it passes the consistency check (its previous entry is the follower's last) and the log refuses it.
 */
class FollowerAppendFailureTest {
    private static final int KEYS_AFTER = 20;
    /** Bounded wait for the follower's log to be quiescent and equal to its leader's. */
    private static final long QUIESCE_WAIT_S = 30;

    @TempDir
    Path dir;

    @Test
    void followerReplicatesAgainAfterOneRefusedAppend() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template(""));
             ClusterClient client = cluster.newClient(null)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(60));
            RangeDescriptor range = table.ranges().get(0);
            RaftGroupId group = RaftGroupId.valueOf(range.groupId());
            for (int i = 0; i < 10; i++) {
                put(client, "k" + i, "v" + i);
            }
            RaftServer.Division leader = leaderOf(cluster, group);
            String followerId = cluster.nodeIds().stream()
                    .filter(id -> !id.equals(leader.getId().toString())).findFirst().orElseThrow();
            RaftServer.Division follower = cluster.node(followerId).raftServer().getDivision(group);

            Throwable refused = refuseOneAppend(cluster.node(followerId).raftServer(), leader, follower);
            assertTrue(String.valueOf(refused.getMessage()).contains("Entry term less than"),
                    "the injected append should be refused by the log, was: " + refused);

            long last = 0;
            for (int i = 0; i < KEYS_AFTER; i++) {
                last = put(client, "after" + i, "v" + i);
            }
            byte[] reference = await(client.admin().replicaDigest(range.rangeId(), leader.getId().toString(), last))
                    .sha256();
            assertArrayEquals(reference, replicaDigestOnceReachable(client, range.rangeId(), followerId, last),
                    "follower " + followerId + " after one refused append");
        }
    }

    private static RaftServer.Division leaderOf(LocalCluster cluster, RaftGroupId group) throws Exception {
        for (String id : cluster.nodeIds()) {
            RaftServer.Division d = cluster.node(id).raftServer().getDivision(group);
            if (d.getInfo().isLeader()) {
                return d;
            }
        }
        throw new AssertionError("no leader of " + group);
    }

    /**
     * Waits until the follower's log ends where the leader's does and is committed (no append in flight), then sends
     * it one entry at the next index with a lower term than its last, previous = its last entry, leader and term the
     * current ones. Returns why the follower refused it.
     */
    private static Throwable refuseOneAppend(RaftServer followerServer, RaftServer.Division leader,
                                             RaftServer.Division follower) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(QUIESCE_WAIT_S);
        while (true) {
            TermIndex last = follower.getRaftLog().getLastEntryTermIndex();
            boolean quiescent = last.equals(leader.getRaftLog().getLastEntryTermIndex())
                    && follower.getRaftLog().getLastCommittedIndex() == last.getIndex();
            if (quiescent) {
                try {
                    AppendEntriesReplyProto reply = followerServer.appendEntriesAsync(lowerTermEntryAfter(last, leader,
                            follower)).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
                    if (reply.getResult() != AppendEntriesReplyProto.AppendResult.INCONSISTENCY) {
                        fail("the follower accepted an entry with a lower term: " + reply);
                    }
                } catch (ExecutionException e) {
                    return e.getCause();
                }
            }
            if (System.nanoTime() > deadline) {
                fail("the follower's log did not settle at the leader's within " + QUIESCE_WAIT_S + " s");
            }
            Thread.sleep(100);
        }
    }

    private static AppendEntriesRequestProto lowerTermEntryAfter(TermIndex last, RaftServer.Division leader,
                                                                RaftServer.Division follower) {
        long term = leader.getInfo().getCurrentTerm();
        LogEntryProto entry = LogEntryProto.newBuilder().setTerm(last.getTerm() - 1).setIndex(last.getIndex() + 1)
                .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder()
                        .setClientId(ClientId.randomId().toByteString())
                        .setLogData(ByteString.copyFromUtf8("never applied")))
                .build();
        RaftPeerId leaderId = leader.getId();
        return AppendEntriesRequestProto.newBuilder()
                .setServerRequest(RaftRpcRequestProto.newBuilder()
                        .setRequestorId(leaderId.toByteString())
                        .setReplyId(follower.getId().toByteString())
                        .setRaftGroupId(ProtoUtils.toRaftGroupIdProtoBuilder(follower.getGroup().getGroupId()))
                        .setCallId(Long.MAX_VALUE))
                .setLeaderTerm(term)
                .setPreviousLog(last.toProto())
                .addAllEntries(List.of(entry))
                .setLeaderCommit(follower.getRaftLog().getLastCommittedIndex())
                .build();
    }
}
