package io.omendb.raft.client;

import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryCodec;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.command.Route;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.ReadException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.StaleReadException;
import org.apache.ratis.rpc.CallId;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One group's reads: linearizable gets addressed to the leader may be folded with concurrent ones into one multi-get
 * ({@link Coalescer}); linearizable reads of a locally led group are tried in-process first ({@link LeaderPath#read});
 * everything else is sent as it is through the {@link GroupTransport}.
 *
 * <p><b>Retry window.</b> Reads fail without the transport retrying them while the group has no leader yet
 * (ReadIndexException, e.g. right after a restart; LeaderNotReadyException), while a follower installs a snapshot
 * (ReadException), while a replica's commit index is below a stale read's minimum index (StaleReadException: it
 * learns it with the next heartbeat), or while a replica does not host the group yet (GroupMismatchException: a
 * wiped node being re-admitted creates its groups in the background). Those are sent again after sleeps doubling
 * from {@value #READ_RETRY_SLEEP_MS} ms up to {@value #READ_RETRY_SLEEP_MAX_MS} ms, for as long as the next attempt
 * starts no later than {@value #READ_RETRY_WINDOW_MS} ms after the first; then the last failure is reported
 * (REPLICA_BEHIND for a replica behind its minimum index). Repeating a read changes nothing, so this is safe.
 *
 * <p><b>Fail-fast reads</b> ({@link ReadOptions#failFast}) skip that window and the transport's own retries: the read
 * is sent once, as a request of its own ({@link GroupTransport#send}: Ratis' unordered path, one attempt, and a failed
 * stream's proxy reset before the failure is reported), and its answer or failure is the caller's at once. Not the
 * replica-addressed client of {@link GroupTransport#staleRead}: its retry policy retries a refused connection, and a
 * request that fails for good there closes that client's ordered window to the replica for every other read of it.
 *
 * <p>Thread-safe and stateless but for the coalescer; the window is measured and slept on the injected
 * {@link ClientTime}.
 */
final class ReadPath {
    /** How long a read keeps retrying transient refusals (no leader yet, replica behind its minimum index). */
    static final long READ_RETRY_WINDOW_MS = 15_000;
    static final long READ_RETRY_SLEEP_MS = 10;
    static final long READ_RETRY_SLEEP_MAX_MS = 500;

    private final GroupTransport transport;
    private final LeaderPath leaderPath;
    private final ReplyDecoder replies;
    private final ClientTime time;
    private final Coalescer<Query, QueryResult> leaderReads;
    private final Supplier<Route> routes;
    private final RaftGroupId groupId;
    /** The client id of fail-fast reads (the server keeps no retry cache for reads: any id would do). */
    private final ClientId clientId = ClientId.randomId();

    /**
     * @param groupId         the group every read is addressed to
     * @param messageBytesMax encoded bytes of one folded multi-get at most
     * @param routes          the route each read is sent with (null: none)
     */
    ReadPath(RaftGroupId groupId, GroupTransport transport, LeaderPath leaderPath, ReplyDecoder replies,
             ClientTime time, GroupCommitSettings groupCommit, int messageBytesMax, CoalescingTally tally,
             Supplier<Route> routes) {
        this.groupId = groupId;
        this.routes = routes;
        this.transport = transport;
        this.leaderPath = leaderPath;
        this.replies = replies;
        this.time = time;
        this.leaderReads = Coalescer.reads(this::readFromLeader, groupCommit, messageBytesMax, tally);
    }

    /** Reads {@code query} as {@code options} say, from {@code replica} (null: the leader, or any for stale reads). */
    CompletableFuture<QueryResult> read(Query query, ReadOptions options, RaftPeerId replica) {
        if (options.consistency() == ReadOptions.Consistency.LINEARIZABLE && replica == null) {
            return query instanceof Query.Get g ? leaderReads.submit(query, g.key().length) : readFromLeader(query);
        }
        Message m = encode(query);
        if (options.failFast()) {
            return readOnce(m, options.minIndex(), replica);
        }
        Supplier<CompletableFuture<RaftClientReply>> send = options.consistency() == ReadOptions.Consistency.LINEARIZABLE
                ? () -> transport.readFromReplica(m, replica)
                : () -> transport.staleRead(m, options.minIndex(), replica);
        return retryTransient(send);
    }

    /** A stale read of {@code replica}, sent once; its failure is reported, not retried. */
    private CompletableFuture<QueryResult> readOnce(Message m, long minIndex, RaftPeerId replica) {
        RaftClientRequest r = RaftClientRequest.newBuilder().setClientId(clientId).setServerId(replica)
                .setGroupId(groupId).setCallId(CallId.getAndIncrement()).setMessage(m)
                .setType(RaftClientRequest.staleReadRequestType(minIndex)).build();
        return transport.send(r).handle((reply, error) -> replies.decode(reply, error, QueryCodec::decodeResult));
    }

    private Message encode(Query query) {
        Route route = routes.get();
        return GroupTransport.message(route == null ? QueryCodec.encode(query) : QueryCodec.encode(route, query));
    }

    private CompletableFuture<QueryResult> readFromLeader(Query query) {
        Message m = encode(query);
        return retryTransient(() -> leaderPath.read(m, () -> transport.readFromLeader(m)));
    }

    private CompletableFuture<QueryResult> retryTransient(Supplier<CompletableFuture<RaftClientReply>> send) {
        return retryTransient(send, time.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READ_RETRY_WINDOW_MS),
                READ_RETRY_SLEEP_MS);
    }

    private CompletableFuture<QueryResult> retryTransient(Supplier<CompletableFuture<RaftClientReply>> send,
                                                          long deadlineNanos, long sleepMs) {
        return send.get().handle((reply, error) -> {
            Throwable t = ReplyDecoder.failureOf(reply, error);
            if (!isTransient(t)) {
                return CompletableFuture.completedFuture(replies.decode(reply, error, QueryCodec::decodeResult));
            }
            if (time.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sleepMs) > deadlineNanos) {
                throw isBehind(t) ? new ClientException(ErrorCode.REPLICA_BEHIND, replies.group() + ": "
                        + t.getMessage() + " (waited " + READ_RETRY_WINDOW_MS + " ms)", t) : replies.failure(t);
            }
            return time.after(sleepMs).thenCompose(v -> retryTransient(send, deadlineNanos,
                    Math.min(2 * sleepMs, READ_RETRY_SLEEP_MAX_MS)));
        }).thenCompose(Function.identity());
    }

    private static boolean isTransient(Throwable t) {
        return isBehind(t) || t instanceof ReadIndexException || t instanceof ReadException
                || t instanceof LeaderNotReadyException || t instanceof GroupMismatchException;
    }

    /**
     * Whether a replica refused a stale read because its commit index is still below the minimum index: as a
     * state-machine failure, or (replica-addressed ordered client) as a transport error that Ratis retried a few times
     * and then wrapped in a RaftRetryFailureException. A follower learns a new commit index with the next entry or
     * heartbeat (at most half the minimum election timeout).
     */
    private static boolean isBehind(Throwable t) {
        return ReplyDecoder.causedBy(t, StaleReadException.class);
    }
}
