package io.omendb.raft.client;

import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LeaderPath} with a scripted local server and a scripted gRPC side: which server each attempt goes to,
 * and that every resend of a write is the same invocation (client id and call id) as its first attempt.
 */
class LeaderPathTest {
    private static final RaftPeerId N1 = RaftPeerId.valueOf("n1");
    private static final RaftPeerId N2 = RaftPeerId.valueOf("n2");
    private static final RaftPeerId N3 = RaftPeerId.valueOf("n3");
    private static final RaftGroup GROUP = RaftGroup.valueOf(RaftGroupId.randomId(),
            List.of(peer(N1), peer(N2), peer(N3)));
    private static final Message M = Message.valueOf("entry");
    /** Real time: these tests check where attempts go; GroupChannelTest drives the same paths on a fake clock. */
    private static final ClientTime SYSTEM_TIME = ClientTime.handingTo(
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("test-timer")),
            java.util.concurrent.ForkJoinPool.commonPool());

    private final List<RaftClientRequest> local = new ArrayList<>();
    private final List<RaftClientRequest> remote = new ArrayList<>();

    private static RaftPeer peer(RaftPeerId id) {
        return RaftPeer.newBuilder().setId(id).setAddress("127.0.0.1:1").build();
    }

    private static RaftClientReply ok(RaftClientRequest r) {
        return RaftClientReply.newBuilder().setRequest(r).setSuccess().setMessage(Message.valueOf("done")).build();
    }

    private static RaftClientReply failed(RaftClientRequest r, RaftException e) {
        return RaftClientReply.newBuilder().setRequest(r).setException(e).build();
    }

    private static NotLeaderException notLeader(RaftPeerId at, RaftPeerId suggestedOrNull) {
        return new NotLeaderException(RaftGroupMemberId.valueOf(at, GROUP.getGroupId()),
                suggestedOrNull == null ? null : peer(suggestedOrNull), GROUP.getPeers());
    }

    private LeaderPath path(Function<RaftClientRequest, CompletableFuture<RaftClientReply>> localAnswer,
                            Function<RaftClientRequest, CompletableFuture<RaftClientReply>> remoteAnswer,
                            int attemptsMax, long attemptTimeoutMs) {
        LocalRaftServer server = new ScriptedLocalServer(N1, r -> {
            local.add(r);
            return localAnswer.apply(r);
        });
        return new LeaderPath(GROUP, server, r -> {
            remote.add(r);
            return remoteAnswer.apply(r);
        }, ClusterClient.leaderRetryPolicy(attemptsMax), attemptTimeoutMs,
                SYSTEM_TIME);
    }

    private static CompletableFuture<RaftClientReply> unexpected(RaftClientRequest r) {
        throw new AssertionError("not expected: " + r);
    }

    @Test
    void aWriteTheLocalLeaderAnswersNeverLeavesTheProcess() throws Exception {
        LeaderPath p = path(r -> CompletableFuture.completedFuture(ok(r)), LeaderPathTest::unexpected, 5,
                1_000);
        RaftClientReply reply = p.write(M).get(5, TimeUnit.SECONDS);
        assertTrue(reply.isSuccess());
        assertEquals(1, local.size());
        assertEquals(N1, local.get(0).getServerId());
        assertTrue(local.get(0).is(org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase.WRITE));
        assertEquals(p.clientId(), local.get(0).getClientId());
    }

    @Test
    void afterTheLocalLeaderStepsDownTheSameInvocationGoesToTheSuggestedLeader() throws Exception {
        LeaderPath p = path(r -> CompletableFuture.completedFuture(failed(r, notLeader(N1, N3))),
                r -> CompletableFuture.completedFuture(ok(r)), 5, 1_000);
        assertTrue(p.write(M).get(5, TimeUnit.SECONDS).isSuccess());
        assertEquals(1, remote.size());
        assertEquals(N3, remote.get(0).getServerId(), "the suggested leader, not the next peer");
        assertEquals(local.get(0).getClientId(), remote.get(0).getClientId());
        assertEquals(local.get(0).getCallId(), remote.get(0).getCallId());
        assertEquals(M.getContent(), remote.get(0).getMessage().getContent());
    }

    @Test
    void aLocalAttemptThatHangsIsResentAsTheSameInvocationAndTheAnsweringLeaderIsRemembered() throws Exception {
        LeaderPath p = path(r -> new CompletableFuture<>(), r -> CompletableFuture.completedFuture(ok(r)), 5, 50);
        assertTrue(p.write(M).get(5, TimeUnit.SECONDS).isSuccess());
        assertEquals(N2, remote.get(0).getServerId(), "the peer after the one that failed");
        assertEquals(local.get(0).getCallId(), remote.get(0).getCallId());
    }

    @Test
    void outsideANodeWritesGoOverGrpcAndFollowTheLeaderTheyLearn() throws Exception {
        LeaderPath p = new LeaderPath(GROUP, null, r -> {
            remote.add(r);
            return CompletableFuture.completedFuture(r.getServerId().equals(N3) ? ok(r)
                    : failed(r, notLeader(r.getServerId(), N3)));
        }, ClusterClient.leaderRetryPolicy(5), 1_000, SYSTEM_TIME);
        assertTrue(p.write(M).get(5, TimeUnit.SECONDS).isSuccess());
        assertEquals(List.of(N1, N3), remote.stream().map(RaftClientRequest::getServerId).toList());
        assertEquals(remote.get(0).getCallId(), remote.get(1).getCallId());
        assertEquals(p.clientId(), remote.get(1).getClientId());

        remote.clear();
        assertTrue(p.write(M).get(5, TimeUnit.SECONDS).isSuccess());
        assertEquals(List.of(N3), remote.stream().map(RaftClientRequest::getServerId).toList(), "straight to n3");
        assertFalse(p.leadsLocally());
    }

    @Test
    void aNewLeaderThatIsNotReadyYetIsAskedAgainSoonInsteadOfLeft() throws Exception {
        LeaderPath p = new LeaderPath(GROUP, null, r -> {
            remote.add(r);
            if (r.getServerId().equals(N1)) {
                return CompletableFuture.completedFuture(failed(r, notLeader(N1, N2)));
            }
            return CompletableFuture.completedFuture(remote.size() < 4
                    ? failed(r, new LeaderNotReadyException(RaftGroupMemberId.valueOf(N2, GROUP.getGroupId())))
                    : ok(r));
        }, ClusterClient.leaderRetryPolicy(10), 1_000, SYSTEM_TIME);
        assertTrue(p.write(M).get(5, TimeUnit.SECONDS).isSuccess());
        assertEquals(List.of(N1, N2, N2, N2), remote.stream().map(RaftClientRequest::getServerId).toList(),
                "the suggested leader, then the same server while it is not ready");
    }

    @Test
    void aLeaderSteppingDownForATransferIsNotAnAnswer() throws Exception {
        LeaderPath p = new LeaderPath(GROUP, null, r -> {
            remote.add(r);
            return CompletableFuture.completedFuture(remote.size() == 1
                    ? failed(r, new LeaderSteppingDownException(r.getServerId() + " is stepping down")) : ok(r));
        }, ClusterClient.leaderRetryPolicy(5), 1_000, SYSTEM_TIME);
        assertTrue(p.write(M).get(5, TimeUnit.SECONDS).isSuccess());
        assertEquals(2, remote.size());
        assertEquals(remote.get(0).getCallId(), remote.get(1).getCallId());
    }

    @Test
    void aStateMachineRefusalIsDefiniteAndNotResent() throws Exception {
        LeaderPath p = path(r -> CompletableFuture.completedFuture(failed(r, new StateMachineException("no"))),
                LeaderPathTest::unexpected, 5, 1_000);
        RaftClientReply reply = p.write(M).get(5, TimeUnit.SECONDS);
        assertFalse(reply.isSuccess());
        assertInstanceOf(StateMachineException.class, reply.getException());
        assertTrue(remote.isEmpty());
    }

    @Test
    void withoutAnyLeaderTheInvocationVisitsThePeersInTurnUntilItsAttemptsAreSpent() throws Exception {
        LeaderPath p = path(r -> CompletableFuture.completedFuture(failed(r, notLeader(N1, null))),
                r -> CompletableFuture.completedFuture(failed(r, notLeader(r.getServerId(), null))), 3, 1_000);
        RaftClientReply reply = p.write(M).get(10, TimeUnit.SECONDS);
        assertInstanceOf(NotLeaderException.class, reply.getException(), "the last answer is reported");
        assertEquals(List.of(N2, N3), remote.stream().map(RaftClientRequest::getServerId).toList());
        assertTrue(remote.stream().allMatch(r -> r.getCallId() == local.get(0).getCallId()));
    }

    @Test
    void aReadTriesTheLocalLeaderOnceThenTheFallback() throws Exception {
        LeaderPath good = path(r -> CompletableFuture.completedFuture(ok(r)), LeaderPathTest::unexpected, 5,
                1_000);
        assertTrue(good.read(M, () -> {
            throw new AssertionError("no fallback when the local leader answers");
        }).get(5, TimeUnit.SECONDS).isSuccess());
        assertTrue(local.get(0).is(org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase.READ));

        local.clear();
        LeaderPath stepped = path(r -> CompletableFuture.completedFuture(failed(r, notLeader(N1, N2))),
                LeaderPathTest::unexpected, 5, 1_000);
        RaftClientReply[] viaFallback = new RaftClientReply[1];
        RaftClientReply reply = stepped.read(M, () -> {
            viaFallback[0] = ok(local.get(0));
            return CompletableFuture.completedFuture(viaFallback[0]);
        }).get(5, TimeUnit.SECONDS);
        assertEquals(viaFallback[0], reply);
        assertEquals(1, local.size());
        assertNull(reply.getException());
    }

    /** A path outside any node whose gRPC side answers each attempt with the next of {@code answers}. */
    private LeaderPath remoteOnly(List<Function<RaftClientRequest, CompletableFuture<RaftClientReply>>> answers) {
        return new LeaderPath(GROUP, null, r -> {
            remote.add(r);
            return answers.get(remote.size() - 1).apply(r);
        }, ClusterClient.leaderRetryPolicy(5), 1_000, SYSTEM_TIME);
    }

    @Test
    void aForwardIsANonLinearizableReadResentOnlyWhereItCertainlyDidNotRun() throws Exception {
        LeaderPath p = remoteOnly(List.of(
                r -> CompletableFuture.completedFuture(failed(r, notLeader(N1, N2))),
                r -> CompletableFuture.completedFuture(failed(r,
                        new LeaderNotReadyException(RaftGroupMemberId.valueOf(N2, GROUP.getGroupId())))),
                r -> CompletableFuture.failedFuture(new java.io.IOException("UNAVAILABLE: io exception",
                        new java.net.ConnectException("Connection refused"))),
                r -> CompletableFuture.failedFuture(new RequestNotSentException(r,
                        new org.apache.ratis.protocol.exceptions.AlreadyClosedException("client->n1 is closed."))),
                r -> CompletableFuture.completedFuture(ok(r))));
        assertTrue(p.forward(M).get(5, TimeUnit.SECONDS).isSuccess());
        assertEquals(List.of(N1, N2, N2, N3, N2), remote.stream().map(RaftClientRequest::getServerId).toList());
        for (RaftClientRequest r : remote) {
            assertTrue(r.is(org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase.READ));
            assertTrue(r.getType().getRead().getPreferNonLinearizable(), "Ratis checks leadership, then queries");
        }
    }

    /** Found by RaftMutualTlsTest: a forward to the node holding a foreign CA's certificate was reported as unknown. */
    @Test
    void aForwardRefusedInTheTlsHandshakeIsResentToAnotherPeer() throws Exception {
        LeaderPath p = remoteOnly(List.of(
                r -> CompletableFuture.failedFuture(new java.io.IOException("UNAVAILABLE: io exception",
                        new javax.net.ssl.SSLHandshakeException("PKIX path validation failed"))),
                r -> CompletableFuture.completedFuture(ok(r))));
        assertTrue(p.forward(M).get(5, TimeUnit.SECONDS).isSuccess());
        assertEquals(2, remote.size());
        assertNotEquals(remote.get(0).getServerId(), remote.get(1).getServerId());
    }

    @Test
    void aForwardWhoseOutcomeIsUnknownIsReportedNotResent() throws Exception {
        LeaderPath timedOut = remoteOnly(List.of(
                r -> CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("no answer in 3 s"))));
        assertInstanceOf(java.util.concurrent.TimeoutException.class, Failures.unwrap(assertThrowsExecution(
                timedOut.forward(M))));
        assertEquals(1, remote.size(), "the leader's node may have taken it: a second copy could apply it twice");

        remote.clear();
        LeaderPath refused = remoteOnly(List.of(
                r -> CompletableFuture.completedFuture(failed(r, new StateMachineException("no router")))));
        assertInstanceOf(StateMachineException.class, refused.forward(M).get(5, TimeUnit.SECONDS).getException());
        assertEquals(1, remote.size());
    }

    @Test
    void aForwardToThisProcessIsNotSentAndLeftToTheCaller() throws Exception {
        LeaderPath p = path(LeaderPathTest::unexpected,
                r -> CompletableFuture.completedFuture(failed(r, notLeader(r.getServerId(), N1))), 5, 1_000);
        assertNull(p.forward(M).get(5, TimeUnit.SECONDS), "n1 is this process: its router proposes the writes");
        assertTrue(local.isEmpty(), "a forward handed to this process would wait on the coalescer sending it");
        assertEquals(List.of(N2), remote.stream().map(RaftClientRequest::getServerId).toList(),
                "not this process first, then the leader it suggests is this process");
    }

    private static Throwable assertThrowsExecution(CompletableFuture<?> f) {
        return org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                () -> f.get(5, TimeUnit.SECONDS)).getCause();
    }
}
