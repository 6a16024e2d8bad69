package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryCodec;
import io.omendb.raft.command.QueryResult;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.ClientInvocationId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.StaleReadException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link GroupChannel} over scripted peers ({@link Peers}, a {@link GroupTransport}) on a {@link FakeClientTime}:
 * leader changes, lost replies, exhausted retries, the read retry window and reply decoding, each decided by the
 * fake clock alone. Everything runs on the test's thread; no Ratis server, no real time.
 */
class GroupChannelTest {
    private static final RaftPeerId N1 = RaftPeerId.valueOf("n1");
    private static final RaftPeerId N2 = RaftPeerId.valueOf("n2");
    private static final RaftPeerId N3 = RaftPeerId.valueOf("n3");
    private static final RaftGroup GROUP = RaftGroup.valueOf(RaftGroupId.randomId(),
            List.of(peer(N1), peer(N2), peer(N3)));
    /** A gRPC attempt's timeout, as the Ratis client would report it ({@code raft.client.rpc.request.timeout}). */
    private static final long REQUEST_TIMEOUT_MS = 3_000;
    private static final long RESEND_SLEEP_MS = 100;
    private static final int ATTEMPTS_MAX = 3;
    private static final byte[] KEY = "k".getBytes(StandardCharsets.UTF_8);

    private final FakeClientTime time = new FakeClientTime();
    private final Peers peers = new Peers(time);

    private static RaftPeer peer(RaftPeerId id) {
        return RaftPeer.newBuilder().setId(id).setAddress("127.0.0.1:1").build();
    }

    /**
     * Three scripted servers sharing one replicated log with a retry cache: the leader appends an invocation (client
     * id, call id) once, and a resend of it is answered with its first outcome, from any later leader. Entries go
     * through {@link #entries} (by default: the leader answers, the others say who leads), reads through
     * {@link #reads}, which answers the n-th read (from 1).
     */
    private static final class Peers implements GroupTransport {
        final FakeClientTime clock;
        RaftPeerId leader = N1;
        long index;
        final Map<ClientInvocationId, CommandResult> retryCache = new HashMap<>();
        final List<RaftClientRequest> sent = new ArrayList<>();
        final List<Long> sentAtMs = new ArrayList<>();
        final List<Long> readAtMs = new ArrayList<>();
        Function<RaftClientRequest, CompletableFuture<RaftClientReply>> entries = this::asTheLeaderWould;
        IntFunction<CompletableFuture<RaftClientReply>> reads = n -> {
            throw new AssertionError("no read expected");
        };

        Peers(FakeClientTime clock) {
            this.clock = clock;
        }

        /** The leader applies (once per invocation) and answers; any other server names the leader. */
        CompletableFuture<RaftClientReply> asTheLeaderWould(RaftClientRequest r) {
            if (!r.getServerId().equals(leader)) {
                return CompletableFuture.completedFuture(failed(r, notLeader(r.getServerId(), leader)));
            }
            return CompletableFuture.completedFuture(ok(r, CommandCodec.encodeResult(apply(r))));
        }

        CommandResult apply(RaftClientRequest r) {
            return retryCache.computeIfAbsent(ClientInvocationId.valueOf(r.getClientId(), r.getCallId()),
                    id -> new CommandResult.Written(++index));
        }

        @Override
        public CompletableFuture<RaftClientReply> send(RaftClientRequest r) {
            sent.add(r);
            sentAtMs.add(clock.nowMs());
            return entries.apply(r);
        }

        @Override
        public CompletableFuture<RaftClientReply> readFromLeader(Message query) {
            return read();
        }

        @Override
        public CompletableFuture<RaftClientReply> readFromReplica(Message query, RaftPeerId replica) {
            return read();
        }

        @Override
        public CompletableFuture<RaftClientReply> staleRead(Message query, long minIndex, RaftPeerId replica) {
            return read();
        }

        private CompletableFuture<RaftClientReply> read() {
            readAtMs.add(clock.nowMs());
            return reads.apply(readAtMs.size());
        }

        List<RaftPeerId> targets() {
            return sent.stream().map(RaftClientRequest::getServerId).toList();
        }

        @Override
        public void close() {
        }
    }

    private GroupChannel channel(LocalRaftServer localOrNull, boolean forwardToLeader) {
        return channel(peers, time, localOrNull, forwardToLeader);
    }

    /** A channel to {@code transport} on {@code clock}: entries resent {@value #ATTEMPTS_MAX} times at most. */
    private static GroupChannel channel(GroupTransport transport, FakeClientTime clock, LocalRaftServer localOrNull,
                                        boolean forwardToLeader) {
        return new GroupChannel(GROUP, transport, new GroupChannel.Settings(1 << 20,
                new GroupCommitSettings(1, 100, 0, forwardToLeader), CoalescingTallies.create(), localOrNull,
                RetryPolicies.retryUpToMaximumCountWithFixedSleep(ATTEMPTS_MAX,
                        TimeDuration.valueOf(RESEND_SLEEP_MS, TimeUnit.MILLISECONDS)),
                REQUEST_TIMEOUT_MS, clock, clock), () -> null);
    }

    private GroupChannel channel() {
        return channel(null, false);
    }

    private static RaftClientReply ok(RaftClientRequest r, byte[] payload) {
        return RaftClientReply.newBuilder().setRequest(r).setSuccess().setMessage(Message.valueOf(
                org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(payload))).build();
    }

    private static RaftClientReply failed(RaftClientRequest r, RaftException e) {
        return RaftClientReply.newBuilder().setRequest(r).setException(e).build();
    }

    private static final ClientId READER = ClientId.randomId();

    /** A read's reply from {@code server}: {@code payload} when {@code failureOrNull} is null. */
    private static CompletableFuture<RaftClientReply> readReply(RaftPeerId server, byte[] payload,
                                                                RaftException failureOrNull) {
        RaftClientReply.Builder b = RaftClientReply.newBuilder().setClientId(READER)
                .setServerId(RaftGroupMemberId.valueOf(server, GROUP.getGroupId())).setCallId(0);
        return CompletableFuture.completedFuture(failureOrNull == null
                ? b.setSuccess().setMessage(Message.valueOf(
                        org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(payload))).build()
                : b.setException(failureOrNull).build());
    }

    private static CompletableFuture<RaftClientReply> value(String v) {
        return readReply(N1, QueryCodec.encodeResult(new QueryResult.Value(v.getBytes(StandardCharsets.UTF_8), 7)),
                null);
    }

    private static CompletableFuture<RaftClientReply> refused(RaftException e) {
        return readReply(N1, null, e);
    }

    private static NotLeaderException notLeader(RaftPeerId at, RaftPeerId suggestedOrNull) {
        return new NotLeaderException(RaftGroupMemberId.valueOf(at, GROUP.getGroupId()),
                suggestedOrNull == null ? null : peer(suggestedOrNull), GROUP.getPeers());
    }

    /** How a replica refuses a stale read below its commit index: a state-machine failure caused by StaleRead. */
    private static StateMachineException behind(RaftPeerId replica) {
        return new StateMachineException(RaftGroupMemberId.valueOf(replica, GROUP.getGroupId()),
                new StaleReadException(replica + " has not applied the minimum index yet"));
    }

    private static LeaderNotReadyException notReady() {
        return new LeaderNotReadyException(RaftGroupMemberId.valueOf(N1, GROUP.getGroupId()));
    }

    private static Command put() {
        return new Command.Put(KEY, "v".getBytes(StandardCharsets.UTF_8));
    }

    private static ClientException failure(CompletableFuture<?> f) {
        assertTrue(f.isCompletedExceptionally(), "failed: " + f);
        return assertInstanceOf(ClientException.class, assertThrows(CompletionException.class, f::join).getCause());
    }

    private void assertOneInvocation() {
        assertTrue(peers.sent.stream().allMatch(r -> r.getCallId() == peers.sent.get(0).getCallId()
                && r.getClientId().equals(peers.sent.get(0).getClientId())), "every resend is the same invocation");
    }

    // ---------------------------------------------------------------- writes

    @Test
    void aLeaderChangeMidRequestIsFollowedToTheNewLeaderWhichAnswersFromItsRetryCache() {
        peers.entries = r -> {
            if (peers.sent.size() == 1) { // n1 appends the entry, then loses leadership before answering
                peers.apply(r);
                peers.leader = N2;
                return CompletableFuture.completedFuture(failed(r, notLeader(N1, N2)));
            }
            return peers.asTheLeaderWould(r);
        };
        CompletableFuture<CommandResult> w = channel().write(put());
        time.runAll(10);
        assertEquals(new CommandResult.Written(1), w.join());
        assertEquals(List.of(N1, N2), peers.targets());
        assertEquals(List.of(0L, 0L), peers.sentAtMs, "a suggested leader is asked at once");
        assertOneInvocation();
        assertEquals(1, peers.index, "applied once");
    }

    @Test
    void aLostReplyTimesOutAndTheSameInvocationIsResentAndAppliedOnce() {
        peers.entries = r -> {
            if (peers.sent.size() == 1) { // applied, but the reply never arrives: the transport times out
                peers.apply(r);
                CompletableFuture<RaftClientReply> lost = new CompletableFuture<>();
                time.schedule(() -> lost.completeExceptionally(new TimeoutIOException("request timed out")),
                        TimeUnit.MILLISECONDS.toMicros(REQUEST_TIMEOUT_MS));
                return lost;
            }
            return peers.asTheLeaderWould(r);
        };
        CompletableFuture<CommandResult> w = channel().write(put());
        time.advanceMs(REQUEST_TIMEOUT_MS - 1);
        assertFalse(w.isDone());
        time.runAll(10);
        assertEquals(new CommandResult.Written(1), w.join(), "the first outcome, not a second entry");
        assertEquals(List.of(N1, N2, N1), peers.targets(), "the next peer, which names the leader");
        long resentAtMs = REQUEST_TIMEOUT_MS + RESEND_SLEEP_MS;
        assertEquals(List.of(0L, resentAtMs, resentAtMs), peers.sentAtMs);
        assertOneInvocation();
        assertEquals(1, peers.index);

        CompletableFuture<CommandResult> next = channel().write(put());
        time.runAll(10);
        assertEquals(new CommandResult.Written(2), next.join(), "a new write is a new invocation");
    }

    @Test
    void anInProcessAttemptThatHangsTimesOutByTheClockAndIsResentToAnotherPeer() {
        peers.leader = N2;
        List<RaftClientRequest> local = new ArrayList<>();
        LocalRaftServer hanging = new ScriptedLocalServer(N1, r -> { // cut off from the others, it never commits
            local.add(r);
            return new CompletableFuture<>();
        });
        CompletableFuture<CommandResult> w = channel(hanging, false).write(put());
        time.advanceMs(REQUEST_TIMEOUT_MS - 1);
        assertTrue(peers.sent.isEmpty(), "not before the attempt timeout");
        time.runAll(10);
        assertEquals(new CommandResult.Written(1), w.join());
        assertEquals(List.of(N2), peers.targets());
        assertEquals(List.of(REQUEST_TIMEOUT_MS + RESEND_SLEEP_MS), peers.sentAtMs);
        assertEquals(local.get(0).getCallId(), peers.sent.get(0).getCallId());
        assertEquals(0, time.pending(), "the timeout of the answered attempt is cancelled, not left queued");
    }

    @Test
    void whenRetriesAreExhaustedTheLastRefusalIsReportedAsUnavailable() {
        peers.leader = null;
        CompletableFuture<CommandResult> w = channel().write(put());
        time.runAll(10);
        ClientException e = failure(w);
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertInstanceOf(NotLeaderException.class, e.getCause());
        assertEquals(List.of(N1, N2, N3), peers.targets(), "each peer in turn, " + ATTEMPTS_MAX + " attempts");
        assertEquals(List.of(0L, RESEND_SLEEP_MS, 2 * RESEND_SLEEP_MS), peers.sentAtMs);
        assertOneInvocation();
    }

    @Test
    void aStateMachineRefusalIsRefusedAndNotResent() {
        peers.entries = r -> CompletableFuture.completedFuture(failed(r, new StateMachineException("no",
                new IllegalStateException("key is locked"))));
        CompletableFuture<CommandResult> w = channel().write(put());
        time.runAll(10);
        ClientException e = failure(w);
        assertEquals(ErrorCode.REFUSED, e.code());
        assertTrue(e.getMessage().contains("key is locked"), e.getMessage());
        assertEquals(1, peers.sent.size());
    }

    // ---------------------------------------------------------------- reads

    @Test
    void transientReadRefusalsAreRetriedWithDoublingSleepsCappedAt500Ms() {
        List<RaftException> refusals = List.of(notReady(), new ReadIndexException("no leader yet"),
                new ReadIndexException("no leader yet"), behind(N1), notReady(), notReady(),
                notReady(), notReady(), notReady());
        peers.reads = n -> n <= refusals.size() ? refused(refusals.get(n - 1)) : value("v");
        GroupChannel c = channel();
        CompletableFuture<QueryResult> r = c.read(new Query.Get(KEY), ReadOptions.linearizable(), null);
        time.runAll(100);
        assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), ((QueryResult.Value) r.join()).value());
        List<Long> sleeps = new ArrayList<>();
        for (int i = 1; i < peers.readAtMs.size(); i++) {
            sleeps.add(peers.readAtMs.get(i) - peers.readAtMs.get(i - 1));
        }
        assertEquals(List.of(10L, 20L, 40L, 80L, 160L, 320L, 500L, 500L, 500L), sleeps);
    }

    /**
     * The window is {@value ReadPath#READ_RETRY_WINDOW_MS} ms from the first attempt: an attempt may start at its
     * very end, and none after. The first refusal takes 370 ms, so the sleeps (10, 20, ... 320, then 500 each) land
     * the last attempt exactly on 15 000 ms; one more millisecond and it would not fit.
     */
    @Test
    void theReadRetryWindowEndsExactlyAtItsDeadlineByTheClock() {
        assertEquals(15_000, ReadPath.READ_RETRY_WINDOW_MS);
        assertEquals(15_000, lastAttemptOfAStaleReadThatNeverCatchesUp(370));
        assertEquals(14_501, lastAttemptOfAStaleReadThatNeverCatchesUp(371), "15 001 would be past the window");
    }

    /** When the last attempt started; asserts the read then failed with REPLICA_BEHIND, at once. */
    private static long lastAttemptOfAStaleReadThatNeverCatchesUp(long firstRefusalMs) {
        FakeClientTime clock = new FakeClientTime();
        Peers replica = new Peers(clock);
        replica.reads = n -> {
            CompletableFuture<RaftClientReply> behind = readReply(N2, null, behind(N2));
            if (n > 1) {
                return behind;
            }
            CompletableFuture<RaftClientReply> later = new CompletableFuture<>();
            clock.schedule(() -> later.complete(behind.join()), TimeUnit.MILLISECONDS.toMicros(firstRefusalMs));
            return later;
        };
        CompletableFuture<QueryResult> r = channel(replica, clock, null, false)
                .read(new Query.Get(KEY), ReadOptions.staleOn("n2", 42), N2);
        clock.runAll(1_000);
        ClientException e = failure(r);
        assertEquals(ErrorCode.REPLICA_BEHIND, e.code());
        long lastAttemptMs = replica.readAtMs.get(replica.readAtMs.size() - 1);
        assertEquals(lastAttemptMs, clock.nowMs(), "reported when the last refusal came");
        return lastAttemptMs;
    }

    /**
     * A fail-fast read goes out once, as a stale read of the named replica through {@link GroupTransport#send} (not
     * the replica-addressed client, whose retry policy retries a refused connection), and what fails it is the
     * caller's at once, before the clock moves: a replica that does not host the group yet (which the read retry
     * window would otherwise ask again for 15 s), a refused connection.
     */
    @Test
    void aFailFastReadIsSentOnceAndItsFailureIsReportedAtOnce() {
        GroupMismatchException notHosted = new GroupMismatchException(N2 + ": " + GROUP.getGroupId() + " not found");
        IOException refused = new IOException("UNAVAILABLE: io exception", new ConnectException("Connection refused"));
        for (Exception failure : List.of(notHosted, refused)) {
            Peers replica = new Peers(time);
            replica.entries = req -> CompletableFuture.failedFuture(failure);
            CompletableFuture<QueryResult> r = channel(replica, time, null, false)
                    .read(new Query.Get(KEY), ReadOptions.staleOn("n2", 0).failingFast(), N2);
            assertTrue(r.isDone(), "reported before the clock moved");
            ClientException e = failure(r);
            assertEquals(ErrorCode.UNAVAILABLE, e.code());
            assertEquals(failure, e.getCause());
            time.runAll(100);
            assertEquals(1, replica.sent.size(), "sent once, not again: " + failure);
            RaftClientRequest sent = replica.sent.get(0);
            assertEquals(N2, sent.getServerId());
            assertEquals(GROUP.getGroupId(), sent.getRaftGroupId());
            assertTrue(sent.is(RaftClientRequestProto.TypeCase.STALEREAD), "a stale read: " + sent.getType());
        }
    }

    @Test
    void aFailFastReadAnswersWithTheReplicasValue() {
        peers.entries = r -> CompletableFuture.completedFuture(ok(r,
                QueryCodec.encodeResult(new QueryResult.Value("v".getBytes(StandardCharsets.UTF_8), 7))));
        CompletableFuture<QueryResult> r = channel().read(new Query.Get(KEY),
                ReadOptions.staleOn("n3", 0).failingFast(), N3);
        assertArrayEquals("v".getBytes(StandardCharsets.UTF_8), ((QueryResult.Value) r.join()).value());
        assertEquals(List.of(N3), peers.targets());
    }

    @Test
    void onlyAStaleReadOfANamedReplicaFailsFast() {
        assertThrows(IllegalArgumentException.class, () -> ReadOptions.linearizable().failingFast());
        assertThrows(IllegalArgumentException.class, () -> ReadOptions.stale().failingFast());
    }

    // ---------------------------------------------------------------- reply decoding

    @Test
    void corruptReplyFramesAreCorruptReplyErrors() {
        byte[] flipped = CommandCodec.encodeResult(new CommandResult.Written(1));
        flipped[2] ^= 0x40;
        peers.entries = r -> CompletableFuture.completedFuture(ok(r, flipped));
        CompletableFuture<CommandResult> w = channel().write(put());
        time.runAll(10);
        assertEquals(ErrorCode.CORRUPT_REPLY, failure(w).code());

        byte[] valid = QueryCodec.encodeResult(new QueryResult.Value(new byte[]{1}, 3));
        byte[] truncated = java.util.Arrays.copyOf(valid, valid.length - 1);
        peers.reads = n -> readReply(N1, truncated, null);
        CompletableFuture<QueryResult> read = channel().read(new Query.Get(KEY), ReadOptions.linearizable(), null);
        time.runAll(10);
        ClientException e = failure(read);
        assertEquals(ErrorCode.CORRUPT_REPLY, e.code());
        assertTrue(e.getMessage().contains(GROUP.getGroupId().toString()), "names the group: " + e.getMessage());
    }

    @Test
    void forwardedWritesAnsweredWithAnythingButTheirOutcomeAreCorruptReplyErrors() {
        peers.entries = r -> CompletableFuture.completedFuture(ok(r,
                QueryCodec.encodeResult(new QueryResult.Value(null, 5))));
        CompletableFuture<CommandResult> w = channel(null, true).write(put());
        time.runAll(10);
        assertEquals(ErrorCode.CORRUPT_REPLY, failure(w).code());
        assertTrue(peers.sent.get(0).is(org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase.READ),
                "sent as a forward");
    }
}
