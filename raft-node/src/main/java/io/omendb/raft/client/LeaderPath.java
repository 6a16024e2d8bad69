package io.omendb.raft.client;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.CallId;

import java.net.ConnectException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLHandshakeException;

/**
 * How a group's log entries reach its leader: each write is one Ratis invocation (a client id of this path and a
 * call id from Ratis' process-wide counter), sent to the leader, and — until a definite answer or until the
 * client's leader retry policy gives up ({@link ClusterClient#leaderRetryPolicy}) — sent again as the <em>same</em>
 * invocation to the suggested leader, the same server when it leads but is not ready yet, the last leader that
 * answered, or the next peer.
 *
 * <p><b>Exactly once.</b> Resending the same invocation is what makes retries safe: an entry appended before its
 * leader stepped down or before a reply was lost is applied by every later leader before that leader serves
 * anything (Ratis answers LeaderNotReady until then), and the retry cache then answers the resend with the first
 * outcome, so a write is never applied twice. A refusal by the state machine ({@link StateMachineException}) is
 * definite and not resent. Any other failure — not the leader, not ready, stepping down for a leadership transfer,
 * timeout, connection refused — is resent. (Ratis' own ordered client gives up on "stepping down": a write that
 * met a leadership transfer failed.) Order between entries in flight is not kept; the caller sends one entry at a
 * time per group unless configured otherwise, and concurrent requests carry no order anyway.
 *
 * <p><b>In-process.</b> Inside a node ({@code localOrNull} set), an attempt addressed to this node's own Raft server
 * is handed to it directly — no serialization, loopback socket or gRPC thread hand-offs — and the first attempt
 * goes there whenever that replica leads. Linearizable reads of a locally led group are tried in-process once
 * ({@link #read}); they are idempotent, so any failure just takes the caller's normal path.
 *
 * <p><b>Forwards.</b> Writes forwarded to the leader's node for leader-side group commit ({@link #forward}) follow
 * the same leader hints but are resent only where they certainly did not run: the node that takes them proposes
 * them under its own invocations, so the retry cache cannot deduplicate a second copy. They never go in-process.
 *
 * <p>Thread-safe; its only state is the last leader that answered (a hint).
 */
final class LeaderPath {
    /**
     * First sleep before asking a leader that is not ready again (doubling like the others): it becomes ready as soon
     * as it applied its term's first entry, usually within milliseconds of its election.
     */
    static final long NOT_READY_SLEEP_MS = 20;

    private final RaftGroup group;
    private final LocalRaftServer localOrNull;
    private final Function<RaftClientRequest, CompletableFuture<RaftClientReply>> remote;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicReference<RaftPeerId> leaderHint = new AtomicReference<>();
    private final RetryPolicy retryPolicy;
    private final long attemptTimeoutMs;
    private final LongFunction<Executor> afterMs;

    /**
     * @param localOrNull      this process's Raft server, or null outside a node
     * @param remote           sends a request as it is (its server id, client id and call id) over gRPC
     * @param retryPolicy      whether, and after how long, a failed attempt is made again (a leader that is not ready
     *                         is asked again sooner, a suggested leader at once)
     * @param attemptTimeoutMs how long one in-process attempt may take before the invocation is resent (gRPC
     *                         attempts time out by the client's request timeout)
     */
    LeaderPath(RaftGroup group, LocalRaftServer localOrNull,
               Function<RaftClientRequest, CompletableFuture<RaftClientReply>> remote, RetryPolicy retryPolicy,
               long attemptTimeoutMs) {
        this(group, localOrNull, remote, retryPolicy, attemptTimeoutMs,
                delayMs -> CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS));
    }

    /**
     * @param afterMs where a resend runs after its sleep: an executor that runs tasks that many milliseconds later
     *                (a fake clock's scheduler in the simulation; {@link CompletableFuture#delayedExecutor} otherwise)
     */
    LeaderPath(RaftGroup group, LocalRaftServer localOrNull,
               Function<RaftClientRequest, CompletableFuture<RaftClientReply>> remote, RetryPolicy retryPolicy,
               long attemptTimeoutMs, LongFunction<Executor> afterMs) {
        this.group = group;
        this.localOrNull = localOrNull;
        this.remote = remote;
        this.retryPolicy = retryPolicy;
        this.attemptTimeoutMs = attemptTimeoutMs;
        this.afterMs = afterMs;
    }

    /** The client id of every invocation of this path (for tests). */
    ClientId clientId() {
        return clientId;
    }

    /** Whether this process's replica of the group leads now. */
    boolean leadsLocally() {
        return localOrNull != null && localOrNull.leads(group.getGroupId());
    }

    /** A write, sent until definite (see the class note). */
    CompletableFuture<RaftClientReply> write(Message message) {
        RaftPeerId first = leadsLocally() ? localOrNull.peerId() : firstTarget();
        return attempt(request(first, CallId.getAndIncrement(), message, RaftClientRequest.writeRequestType()), 1,
                failure -> !(failure instanceof StateMachineException));
    }

    /**
     * Writes forwarded to the leader's node ({@code Query.Forward}) as a non-linearizable read: Ratis hands it to the
     * state machine only on a ready leader. Sent again only after failures that prove it did not run there (not the
     * leader, not ready, stepping down, group or server not there, connection refused, TLS handshake failed, refused by
     * the client's own closed stream before sending): the node that takes it proposes its writes under its own
     * invocations, so a second copy to another node could apply them twice. Any
     * other failure (a timeout, a connection lost mid-request) leaves the outcome unknown and is reported. Completes
     * with null, nothing sent, when the leader is this process's own server: then the caller proposes directly (the
     * first attempt goes to another peer, the leader that answered last when known).
     */
    CompletableFuture<RaftClientReply> forward(Message message) {
        RaftPeerId first = firstTarget();
        if (localOrNull != null && first.equals(localOrNull.peerId())) {
            first = nextTarget(first);
        }
        return attempt(request(first, CallId.getAndIncrement(), message, RaftClientRequest.readRequestType(true)), 1,
                LeaderPath::certainlyNotRun);
    }

    /**
     * Whether a forward that failed so certainly did not reach the state machine. A refused connection and a failed
     * TLS handshake (the peer's certificate does not chain to the cluster CA, or ours is refused) both end before gRPC
     * sends a byte of the request: a node with a foreign certificate must not turn a write into an unknown outcome.
     */
    static boolean certainlyNotRun(Throwable failure) {
        if (failure instanceof NotLeaderException || failure instanceof LeaderNotReadyException
                || failure instanceof LeaderSteppingDownException || failure instanceof GroupMismatchException
                || failure instanceof ServerNotReadyException || failure instanceof RequestNotSentException) {
            return true;
        }
        return GroupChannel.causedBy(failure, ConnectException.class)
                || GroupChannel.causedBy(failure, SSLHandshakeException.class);
    }

    /**
     * A linearizable read: in-process once when this process's replica leads, with {@code remote} answering it when
     * that fails in any way; otherwise {@code remote} at once.
     */
    CompletableFuture<RaftClientReply> read(Message message, Supplier<CompletableFuture<RaftClientReply>> remote) {
        if (!leadsLocally()) {
            return remote.get();
        }
        RaftClientRequest r = request(localOrNull.peerId(), CallId.getAndIncrement(), message,
                RaftClientRequest.readRequestType());
        return submitLocally(r).handle((reply, error) -> error == null && reply.isSuccess()
                ? CompletableFuture.completedFuture(reply) : remote.get()).thenCompose(Function.identity());
    }

    private RaftPeerId firstTarget() {
        RaftPeerId hint = leaderHint.get();
        return hint != null ? hint : group.getPeers().iterator().next().getId();
    }

    /**
     * @param resendable whether a failed attempt may be sent again (retry policy permitting): a write's same
     *                   invocation always may unless the state machine refused it; a forward only when it certainly
     *                   did not run
     */
    private CompletableFuture<RaftClientReply> attempt(RaftClientRequest r, int attempt, Predicate<Throwable> resendable) {
        boolean inProcess = localOrNull != null && r.getServerId().equals(localOrNull.peerId());
        if (inProcess && r.is(RaftProtos.RaftClientRequestProto.TypeCase.READ)) { // a forward: see #forward
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<RaftClientReply> sent = inProcess ? submitLocally(r) : sendRemote(r);
        return sent.handle((reply, error) -> {
            Throwable failure = error != null ? GroupChannel.unwrap(error)
                    : reply.isSuccess() ? null : reply.getException();
            if (failure == null) {
                leaderHint.set(r.getServerId());
            }
            RetryPolicy.Action action = failure == null || !resendable.test(failure)
                    ? RetryPolicy.NO_RETRY_ACTION
                    : retryPolicy.handleAttemptFailure(failedAttempt(attempt, failure));
            if (!action.shouldRetry()) {
                return error == null ? CompletableFuture.completedFuture(reply)
                        : CompletableFuture.<RaftClientReply>failedFuture(failure);
            }
            RaftPeerId suggested = failure instanceof NotLeaderException nle && nle.getSuggestedLeader() != null
                    && group.getPeer(nle.getSuggestedLeader().getId()) != null ? nle.getSuggestedLeader().getId() : null;
            if (suggested != null) {
                leaderHint.set(suggested);
            }
            boolean notReady = failure instanceof LeaderNotReadyException;
            RaftPeerId next = suggested != null ? suggested : notReady ? r.getServerId() : nextTarget(r.getServerId());
            long policyMs = action.getSleepTime().toLong(TimeUnit.MILLISECONDS);
            long sleepMs = suggested != null && !suggested.equals(r.getServerId()) ? 0
                    : notReady ? Math.min(policyMs, NOT_READY_SLEEP_MS << Math.min(attempt - 1, 20))
                    : policyMs;
            return CompletableFuture.supplyAsync(() -> null, afterMs.apply(sleepMs))
                    .thenCompose(v -> attempt(request(next, r.getCallId(), r.getMessage(), r.getType()), attempt + 1,
                            resendable));
        }).thenCompose(Function.identity());
    }

    /** The last leader that answered when it is not the target that just failed, else the peer after that target. */
    private RaftPeerId nextTarget(RaftPeerId failed) {
        RaftPeerId hint = leaderHint.get();
        if (hint != null && !hint.equals(failed)) {
            return hint;
        }
        List<RaftPeer> peers = List.copyOf(group.getPeers());
        for (int i = 0; i < peers.size(); i++) {
            if (peers.get(i).getId().equals(failed)) {
                return peers.get((i + 1) % peers.size()).getId();
            }
        }
        return peers.get(0).getId();
    }

    private static RetryPolicy.Event failedAttempt(int attempts, Throwable cause) {
        return new RetryPolicy.Event() {
            @Override
            public int getAttemptCount() {
                return attempts;
            }

            @Override
            public Throwable getCause() {
                return cause;
            }
        };
    }

    private CompletableFuture<RaftClientReply> sendRemote(RaftClientRequest r) {
        try {
            return remote.apply(r);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<RaftClientReply> submitLocally(RaftClientRequest r) {
        try {
            return localOrNull.submit(r).orTimeout(attemptTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private RaftClientRequest request(RaftPeerId server, long callId, Message message, RaftClientRequest.Type type) {
        return RaftClientRequest.newBuilder().setClientId(clientId).setServerId(server).setGroupId(group.getGroupId())
                .setCallId(callId).setMessage(message).setType(type).build();
    }
}
