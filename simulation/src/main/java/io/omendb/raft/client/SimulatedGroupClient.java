package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryCodec;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.command.Route;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A router's path to one range group with OmenDB's real client logic and a simulated wire: writes go through the
 * write {@link Coalescer} (group commit) and {@link LeaderPath} (the same invocation resent until a definite answer);
 * linearizable gets through the read {@link Coalescer} (folded into multi-gets). It lives in this package because
 * both are package-private. {@code GroupChannel} is not used: it builds its Ratis clients itself; once it is split
 * with an injected transport, this class should shrink to constructing that role with {@code transport} instead.
 *
 * <p>The one piece that is not OmenDB's: a read addressed to the leader is sent by Ratis' own client in production
 * ({@code RaftClient.async().sendReadOnly}); here {@link #readFromLeader} follows the leader the same way (suggested
 * leader, else the next peer) for as long as the retry policy allows. Reads have no effect, so this changes no
 * outcome the checker judges. Replies are decoded as {@code GroupChannel} does: a success carries the encoded result,
 * anything else fails the call, and a range refusal fails it with RANGE_MOVED ({@link ReplyDecoder#admitted}). Entries
 * and reads carry the route of the group's range in the owning router's table when sent, as {@code WritePath} and
 * {@code ReadPath} attach it.
 *
 * <p>Single-threaded in the simulation (every future completes inside a simulation event).
 */
public final class SimulatedGroupClient {
    /** A single entry holds at most this many encoded bytes (far above what the simulation writes). */
    private static final int ENTRY_BYTES_MAX = 1 << 20;

    private final RaftGroup group;
    private final Function<RaftClientRequest, CompletableFuture<RaftClientReply>> transport;
    private final RetryPolicy retryPolicy;
    private final ClientTime time;
    private final LeaderPath leaderPath;
    private final Coalescer<Coalescer.Proposal, CommandResult> writes;
    private final Coalescer<Query, QueryResult> reads;
    private final Supplier<Route> routes;
    private final ReplyDecoder replies;
    private RaftPeerId readLeaderHint;

    /**
     * @param transport   sends one request to the server it names and completes with its reply (or fails: lost,
     *                    timed out)
     * @param retryPolicy the leader retry policy (seeded in the simulation)
     * @param time        the simulation's clock and timer (resend sleeps, group commit's linger)
     * @param routes      the route requests are sent with ({@link SimulatedRouter#routesOf})
     */
    public SimulatedGroupClient(RaftGroup group,
                                Function<RaftClientRequest, CompletableFuture<RaftClientReply>> transport,
                                RetryPolicy retryPolicy, ClientTime time, GroupCommitSettings groupCommit,
                                Supplier<Route> routes) {
        this.group = group;
        this.routes = routes;
        this.replies = new ReplyDecoder(group.getGroupId().toString());
        this.transport = transport;
        this.retryPolicy = retryPolicy;
        this.time = time;
        // outside a node: no in-process attempts, so no attempt timeout of LeaderPath's own
        this.leaderPath = new LeaderPath(group, null, transport::apply, retryPolicy, Long.MAX_VALUE, time);
        this.writes = Coalescer.writes(this::propose, groupCommit, ENTRY_BYTES_MAX, new CoalescingTally(),
                time);
        this.reads = Coalescer.reads(this::readFromLeader, groupCommit, ENTRY_BYTES_MAX, new CoalescingTally());
    }

    /** A put, delete or compare-and-set; fails when the leader path gave up (the outcome is then unknown). */
    public CompletableFuture<CommandResult> write(Command command) {
        Coalescer.Proposal proposal = Coalescer.Proposal.of(command);
        return writes.submit(proposal, proposal.frame().length).thenApply(replies::admitted);
    }

    /** A linearizable get from the leader; fails when no leader answered within the attempts. */
    public CompletableFuture<QueryResult> get(byte[] key) {
        return reads.submit(new Query.Get(key), key.length).thenApply(replies::admitted);
    }

    private CompletableFuture<CommandResult> propose(Coalescer.Proposal entry) {
        Route route = routes.get();
        byte[] frame = route == null ? entry.frame() : CommandCodec.route(route, entry.frame());
        return leaderPath.write(message(frame)).thenApply(reply -> CommandCodec.decodeResult(payload(reply)));
    }

    private CompletableFuture<QueryResult> readFromLeader(Query query) {
        Route route = routes.get();
        Message m = message(route == null ? QueryCodec.encode(query) : QueryCodec.encode(route, query));
        return leaderPath.read(m, () -> readAttempt(m, readLeaderHint != null ? readLeaderHint
                        : group.getPeers().iterator().next().getId(), 1))
                .thenApply(reply -> QueryCodec.decodeResult(payload(reply)));
    }

    private CompletableFuture<RaftClientReply> readAttempt(Message m, RaftPeerId target, int attempt) {
        RaftClientRequest r = RaftClientRequest.newBuilder().setClientId(leaderPath.clientId()).setServerId(target)
                .setGroupId(group.getGroupId()).setCallId(CallId.getAndIncrement()).setMessage(m)
                .setType(RaftClientRequest.readRequestType()).build();
        return transport.apply(r).handle((reply, error) -> {
            Throwable failure = error != null ? Failures.unwrap(error) : reply.isSuccess() ? null
                    : reply.getException();
            if (failure == null) {
                readLeaderHint = target;
                return CompletableFuture.completedFuture(reply);
            }
            RetryPolicy.Action action = retryPolicy.handleAttemptFailure(new RetryPolicy.Event() {
                @Override
                public int getAttemptCount() {
                    return attempt;
                }

                @Override
                public Throwable getCause() {
                    return failure;
                }
            });
            if (!action.shouldRetry()) {
                return CompletableFuture.<RaftClientReply>failedFuture(failure);
            }
            RaftPeerId suggested = failure instanceof NotLeaderException nle && nle.getSuggestedLeader() != null
                    ? nle.getSuggestedLeader().getId() : null;
            RaftPeerId next = suggested != null ? suggested : nextPeer(target);
            long sleepMs = suggested != null ? 0 : action.getSleepTime().toLong(TimeUnit.MILLISECONDS);
            return time.after(sleepMs)
                    .thenCompose(v -> readAttempt(m, next, attempt + 1));
        }).thenCompose(Function.identity());
    }

    private RaftPeerId nextPeer(RaftPeerId failed) {
        List<RaftPeer> peers = List.copyOf(group.getPeers());
        for (int i = 0; i < peers.size(); i++) {
            if (peers.get(i).getId().equals(failed)) {
                return peers.get((i + 1) % peers.size()).getId();
            }
        }
        return peers.get(0).getId();
    }

    private static Message message(byte[] encoded) {
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(encoded));
    }

    private byte[] payload(RaftClientReply reply) {
        if (!reply.isSuccess()) {
            throw new ClientException(ErrorCode.UNAVAILABLE, "group " + group.getGroupId() + ": "
                    + reply.getException(), reply.getException());
        }
        return reply.getMessage().getContent().toByteArray();
    }
}
