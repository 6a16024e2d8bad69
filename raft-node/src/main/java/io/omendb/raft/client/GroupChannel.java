package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryCodec;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.wire.CorruptFrameException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.ReadException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.StaleReadException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The connection to one Raft group: Ratis clients (which follow the leader and retry per their retry policy) plus
 * encoding of commands and queries and decoding of replies into results or {@link ClientException}s.
 *
 * <p>Two Ratis clients: {@code leaderClient} for everything addressed to the leader (writes, leader reads, admin)
 * and {@code replicaClient} for reads addressed to one replica. Ratis' ordered async protocol keeps one sliding
 * window per target; mixing leader-addressed and replica-addressed requests in one client made the first
 * replica-addressed request to the current leader wait for its request timeout (observed with 3.3.0), so each
 * client only ever uses one kind of addressing.
 *
 * <p>Ratis closes a client's ordered window to a target for good once one request through it failed for good (its
 * retries exhausted): every later request then fails at once with AlreadyClosedException. Either client is therefore
 * replaced when it answers AlreadyClosedException; without that, one write that outlived its retries during an
 * election storm left its router unable to write to the range at all. Thread-safe; closed when the group's
 * membership changes.
 *
 * <p>Log entries (writes) go through {@link LeaderPath}, which resends the same invocation until a definite
 * answer, in-process inside a node whose replica leads; linearizable reads of a locally led group are tried
 * in-process first. Everything else goes through the clients above.
 */
final class GroupChannel implements AutoCloseable {
    /** How long a read keeps retrying transient refusals (no leader yet, replica behind its minimum index). */
    static final long READ_RETRY_WINDOW_MS = 15_000;
    static final long READ_RETRY_SLEEP_MS = 10;
    static final long READ_RETRY_SLEEP_MAX_MS = 500;

    private final RaftGroup group;
    /** The ids of {@link #group}'s peers, for {@link #hasPeers}. */
    private final Set<String> peerIds;
    private final AtomicReference<RaftClient> leaderClient = new AtomicReference<>();
    private final RetryPolicy leaderRetryPolicy;
    private final AtomicReference<RaftClient> replicaClient = new AtomicReference<>();
    private final RaftProperties properties;
    private final Parameters parameters;
    private final RetryPolicy replicaRetryPolicy;
    private final int commandBytesMax;
    private final boolean forwardToLeader;
    private final CoalescingTally forwards;
    private final Coalescer<Coalescer.Proposal, CommandResult> writes;
    private final Coalescer<Query, QueryResult> leaderReads;
    private final LeaderPath leaderPath;
    /**
     * A client used only for its gRPC proxies, which carry {@link LeaderPath}'s entries: resetting a proxy after a
     * transport failure closes its streams, and must not cut the ordered streams of the clients above (in-flight
     * reads).
     */
    private final RaftClient entryClient;
    private final Executor reconnects;

    /**
     * @param leaderRetryPolicy  retries of leader-addressed requests (they ride out elections)
     * @param replicaRetryPolicy retries of replica-addressed reads: short, because Ratis orders requests per target
     *                           and a long retry against a dead replica would hold up every later read of it
     * @param groupCommit        how single-key writes are grouped into entries
     * @param tallies            where grouping is counted (shared by every channel of the client)
     * @param entries            how log entries reach the leader (this process's Raft server, attempt timeout);
     *                           they are retried by {@code leaderRetryPolicy} too
     */
    GroupChannel(RaftGroup group, RaftProperties properties, Parameters parameters, RetryPolicy leaderRetryPolicy,
                 RetryPolicy replicaRetryPolicy, int commandBytesMax, GroupCommitSettings groupCommit,
                 CoalescingTallies tallies, EntrySettings entries) {
        this.group = group;
        this.peerIds = group.getPeers().stream().map(p -> p.getId().toString()).collect(Collectors.toUnmodifiableSet());
        this.commandBytesMax = commandBytesMax;
        this.forwardToLeader = groupCommit.forwardToLeader();
        this.forwards = tallies.forwards();
        this.writes = Coalescer.writes(this::propose, groupCommit, commandBytesMax, tallies.writes(),
                entries.lingerTimer());
        this.leaderReads = Coalescer.reads(this::readFromLeader, groupCommit, commandBytesMax, tallies.reads());
        this.properties = properties;
        this.parameters = parameters;
        this.leaderRetryPolicy = leaderRetryPolicy;
        this.replicaRetryPolicy = replicaRetryPolicy;
        this.leaderClient.set(newClient(leaderRetryPolicy));
        this.replicaClient.set(newClient(replicaRetryPolicy));
        this.reconnects = entries.reconnects();
        this.entryClient = newClient(leaderRetryPolicy);
        this.leaderPath = new LeaderPath(group, entries.localServerOrNull(), this::sendUnordered, leaderRetryPolicy,
                entries.attemptTimeoutMs());
    }

    /**
     * Sends {@code r} as it is through the leader client's gRPC proxies. A transport failure resets the proxy to
     * that server, as Ratis' own client does: a gRPC stream that failed stays closed ("client->n1 is closed") until
     * its proxy is replaced. The reset closes a gRPC channel, which waits seconds for a graceful shutdown, so it
     * runs on {@code reconnects}, never on the caller's thread (an HTTP event loop: a reset there once stalled a
     * router's every request for minutes), and the failure is answered only after it.
     *
     * <p>A request the proxy refused before sending it (a stream already closed after its server failed, or no
     * proxy) fails at once, inside Ratis' call: that failure is reported as {@link RequestNotSentException}, which a
     * forward may be resent after ({@link LeaderPath#certainlyNotRun}). A stream that fails in the microseconds
     * between sending a request and this check would be misread the same way; Ratis gives no other signal.
     */
    private CompletableFuture<RaftClientReply> sendUnordered(RaftClientRequest r) {
        RaftClientRpc rpc = entryClient.getClientRpc();
        CompletableFuture<RaftClientReply> sent = rpc.sendRequestAsyncUnordered(r);
        boolean refusedBeforeSending = sent.isCompletedExceptionally();
        return sent.handleAsync((reply, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(reply);
            }
            Throwable cause = unwrap(error);
            rpc.handleException(r.getServerId(), cause, true);
            return CompletableFuture.<RaftClientReply>failedFuture(refusedBeforeSending
                    ? new RequestNotSentException(r, cause) : cause);
        }, reconnects).thenCompose(Function.identity());
    }

    /**
     * How log entries are formed and reach the leader ({@link Coalescer}, {@link LeaderPath}).
     *
     * @param localServerOrNull this process's Raft server, or null outside a node
     * @param attemptTimeoutMs  timeout of one in-process attempt
     * @param reconnects        where gRPC proxies are reset after transport failures (it may block for seconds)
     * @param lingerTimer       where group commit's linger timers run (shared by every channel of the client)
     */
    record EntrySettings(LocalRaftServer localServerOrNull, long attemptTimeoutMs, Executor reconnects,
                         Coalescer.Timer lingerTimer) {
    }

    RaftGroup group() {
        return group;
    }

    /** Whether this channel's group has exactly these peers (node ids, each once), in any order. */
    boolean hasPeers(List<String> nodeIds) {
        return nodeIds.size() == peerIds.size() && peerIds.containsAll(nodeIds);
    }

    /** The leader-addressed client, for admin calls. */
    RaftClient raft() {
        return leaderClient.get();
    }

    /** The replica-addressed client (short retries): calls to one given member that must not wait out its absence. */
    RaftClient replica() {
        return replicaClient.get();
    }

    /** Proposes {@code command}; single-key writes may share an entry with others ({@link Coalescer}). */
    CompletableFuture<CommandResult> write(Command command) {
        Coalescer.Proposal proposal = Coalescer.Proposal.of(command);
        int encodedBytes = proposal.frame().length;
        if (encodedBytes > commandBytesMax) {
            return CompletableFuture.failedFuture(new ClientException(ErrorCode.COMMAND_TOO_LARGE, "the command encodes to "
                    + encodedBytes + " bytes; one Raft entry holds at most " + commandBytesMax + "; split it"));
        }
        return writes.submit(proposal, encodedBytes);
    }

    /**
     * Writes another router forwarded to this one ({@link Query.Forward}): proposed here with this router's own, in one
     * entry when the limits allow, and answered as that router's entry would have been.
     */
    CompletableFuture<CommandResult> writeForwarded(Command entry) {
        List<Command> members = entry instanceof Command.Group g ? g.commands() : List.of(entry);
        List<CompletableFuture<CommandResult>> answers = writes.submitAll(
                members.stream().map(c -> Coalescer.Proposal.of(c, true)).toList(), p -> p.frame().length);
        if (answers.size() == 1 && !(entry instanceof Command.Group)) {
            return answers.get(0);
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<CommandResult> results = answers.stream().map(CompletableFuture::join).toList();
            return new CommandResult.Grouped(results.stream().mapToLong(CommandResult::revision).max().orElseThrow(),
                    results);
        });
    }

    /**
     * Sends one log entry to the leader: single-key writes of this router to a range led elsewhere are forwarded to
     * the leader's node (leader-side group commit, {@link LeaderPath#forward}) when that is on, and proposed by this
     * router ({@link LeaderPath#write}) when the leader is here, when they were forwarded here, or when the leader's
     * node takes no forwards.
     */
    private CompletableFuture<CommandResult> propose(Coalescer.Proposal entry) {
        boolean singleKeyWrites = entry.command() instanceof Command.Group || Command.singleKeyOf(entry.command()) != null;
        if (!forwardToLeader || entry.forwarded() || !singleKeyWrites || leaderPath.leadsLocally()) {
            return proposeHere(entry);
        }
        return leaderPath.forward(message(QueryCodec.forward(entry.frame()))).handle((reply, error) -> {
            CommandResult result = forwardedResult(reply, error);
            if (result == null) {
                return proposeHere(entry);
            }
            forwards.record(entry.command() instanceof Command.Group g ? g.commands().size() : 1);
            return CompletableFuture.completedFuture(result);
        }).thenCompose(Function.identity());
    }

    private CompletableFuture<CommandResult> proposeHere(Coalescer.Proposal entry) {
        return leaderPath.write(message(entry.frame())).handle((reply, error) -> decode(reply, error,
                CommandCodec::decodeResult));
    }

    /**
     * The outcome of forwarded writes, or null when they were not forwarded (the leader is this process's server) or
     * the leader's node did not take them. A failure is UNAVAILABLE (did not commit) when every attempt certainly never
     * ran ({@link LeaderPath#certainlyNotRun}: only those are resent), else OUTCOME_UNKNOWN: the leader's node may have
     * proposed them.
     */
    private CommandResult forwardedResult(RaftClientReply reply, Throwable error) {
        if (error == null && reply == null) {
            return null;
        }
        Throwable t = error != null ? unwrap(error) : reply.isSuccess() ? null : reply.getException();
        if (t != null) {
            Throwable reason = t instanceof StateMachineException && t.getCause() != null ? t.getCause() : t;
            if (LeaderPath.certainlyNotRun(t)) {
                throw new ClientException(ErrorCode.UNAVAILABLE, "group " + group.getGroupId() + ": no leader took "
                        + "the forwarded writes (they did not commit): " + reason.getMessage(), t);
            }
            throw new ClientException(ErrorCode.OUTCOME_UNKNOWN, "group " + group.getGroupId() + ": writes forwarded "
                    + "to the leader's node failed there or on the way back, so they may have committed; read the keys "
                    + "to learn their outcome: " + reason.getMessage(), t);
        }
        QueryResult answer = decode(reply, null, QueryCodec::decodeResult);
        if (answer instanceof QueryResult.Forwarded f) {
            return f.result();
        }
        throw new ClientException(ErrorCode.CORRUPT_REPLY, "group " + group.getGroupId() + ": forwarded writes were "
                + "answered with " + answer);
    }

    /**
     * A read: linearizable gets addressed to the leader may be folded with concurrent ones into one multi-get
     * ({@link Coalescer}); everything else is sent as it is.
     */
    CompletableFuture<QueryResult> read(Query query, ReadOptions options, RaftPeerId replica) {
        if (options.consistency() == ReadOptions.Consistency.LINEARIZABLE && replica == null) {
            return query instanceof Query.Get g ? leaderReads.submit(query, g.key().length) : readFromLeader(query);
        }
        Message m = message(QueryCodec.encode(query));
        Supplier<CompletableFuture<RaftClientReply>> send = options.consistency() == ReadOptions.Consistency.LINEARIZABLE
                ? () -> onReplica(c -> c.async().sendReadOnly(m, replica))
                : () -> onReplica(c -> c.async().sendStaleRead(m, options.minIndex(), replica));
        return retryTransient(send);
    }

    private CompletableFuture<QueryResult> readFromLeader(Query query) {
        Message m = message(QueryCodec.encode(query));
        Supplier<CompletableFuture<RaftClientReply>> remote = () -> onLeader(c -> c.async().sendReadOnly(m));
        return retryTransient(() -> leaderPath.read(m, remote));
    }

    private CompletableFuture<QueryResult> retryTransient(Supplier<CompletableFuture<RaftClientReply>> send) {
        return retryTransient(send, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READ_RETRY_WINDOW_MS),
                READ_RETRY_SLEEP_MS);
    }

    private static Message message(byte[] encoded) {
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(encoded));
    }

    /**
     * Reads fail without Ratis retrying them while the group has no leader yet (ReadIndexException, e.g. right
     * after a restart), while a follower installs a snapshot (ReadException), while a replica's commit index is
     * below a stale read's minimum index (it learns it with the next heartbeat), or while a replica does not host
     * the group yet (GroupMismatchException: a wiped node being re-admitted creates its groups in the background). Those are retried here with
     * doubling sleeps until the window closes; then the last failure is reported (REPLICA_BEHIND for the last).
     */
    private CompletableFuture<QueryResult> retryTransient(Supplier<CompletableFuture<RaftClientReply>> send,
                                                          long deadlineNanos, long sleepMs) {
        return send.get().handle((reply, error) -> {
            Throwable t = error != null ? unwrap(error) : reply.isSuccess() ? null : reply.getException();
            if (isTransient(t)) {
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sleepMs) > deadlineNanos) {
                    throw isBehind(t) ? new ClientException(ErrorCode.REPLICA_BEHIND, "group " + group.getGroupId()
                            + ": " + t.getMessage() + " (waited " + READ_RETRY_WINDOW_MS + " ms)", t)
                            : failure(t);
                }
                Executor later = CompletableFuture.delayedExecutor(sleepMs, TimeUnit.MILLISECONDS);
                return CompletableFuture.supplyAsync(() -> null, later).thenCompose(v -> retryTransient(send,
                        deadlineNanos, Math.min(2 * sleepMs, READ_RETRY_SLEEP_MAX_MS)));
            }
            return CompletableFuture.completedFuture(decode(reply, error, QueryCodec::decodeResult));
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
        return causedBy(t, StaleReadException.class);
    }

    /**
     * Runs a leader-addressed call. When the leader client's window is closed (AlreadyClosedException), the client is
     * replaced for later calls, but this call is not repeated: a request failed by a closing window may already have
     * been sent, and a write must not be sent twice.
     */
    private CompletableFuture<RaftClientReply> onLeader(Function<RaftClient, CompletableFuture<RaftClientReply>> call) {
        RaftClient used = leaderClient.get();
        return call.apply(used).whenComplete((reply, error) -> {
            if (error != null && unwrap(error) instanceof AlreadyClosedException) {
                replace(leaderClient, used, leaderRetryPolicy);
            }
        });
    }

    /**
     * Runs a replica-addressed call. Ratis closes a client's ordered window to a server after that server failed;
     * later calls to it then fail at once with AlreadyClosedException even when it is back, so the replica client
     * is replaced once and the call retried (reads only: repeating one changes nothing).
     */
    private CompletableFuture<RaftClientReply> onReplica(Function<RaftClient, CompletableFuture<RaftClientReply>> call) {
        RaftClient used = replicaClient.get();
        return call.apply(used).handle((reply, error) -> {
            if (error != null && unwrap(error) instanceof AlreadyClosedException) {
                replace(replicaClient, used, replicaRetryPolicy);
                return call.apply(replicaClient.get());
            }
            return error == null ? CompletableFuture.completedFuture(reply)
                    : CompletableFuture.<RaftClientReply>failedFuture(unwrap(error));
        }).thenCompose(Function.identity());
    }

    /** Swaps {@code used} for a fresh client unless another caller already did; closes the loser. */
    private void replace(AtomicReference<RaftClient> ref, RaftClient used, RetryPolicy retryPolicy) {
        RaftClient fresh = newClient(retryPolicy);
        if (ref.compareAndSet(used, fresh)) {
            closeQuietly(used);
        } else {
            closeQuietly(fresh);
        }
    }

    private RaftClient newClient(RetryPolicy retryPolicy) {
        return RaftClient.newBuilder().setRaftGroup(group).setProperties(properties).setParameters(parameters)
                .setRetryPolicy(retryPolicy).build();
    }

    private static void closeQuietly(RaftClient c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // a client being replaced; its failure to close changes nothing
        }
    }

    static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /** Whether {@code t} or any exception in its cause chain is a {@code type}. */
    static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private <T> T decode(RaftClientReply reply, Throwable error, Function<byte[], T> decoder) {
        byte[] bytes = payload(reply, error);
        try {
            return decoder.apply(bytes);
        } catch (CorruptFrameException e) {
            throw new ClientException(ErrorCode.CORRUPT_REPLY, "group " + group.getGroupId() + ": " + e.getMessage(), e);
        }
    }

    private byte[] payload(RaftClientReply reply, Throwable error) {
        if (error != null) {
            throw failure(unwrap(error));
        }
        if (!reply.isSuccess()) {
            throw failure(reply.getException());
        }
        return reply.getMessage().getContent().toByteArray();
    }

    private ClientException failure(Throwable t) {
        if (t instanceof ClientException ce) {
            return ce;
        }
        if (t instanceof StateMachineException sme) {
            return new ClientException(ErrorCode.REFUSED, "group " + group.getGroupId() + ": "
                    + (sme.getCause() != null ? sme.getCause().getMessage() : sme.getMessage()), sme);
        }
        return new ClientException(ErrorCode.UNAVAILABLE, "group " + group.getGroupId() + ": " + t, t);
    }

    @Override
    public void close() throws IOException {
        try {
            replicaClient.get().close();
        } finally {
            try {
                leaderClient.get().close();
            } finally {
                entryClient.close();
            }
        }
    }
}
