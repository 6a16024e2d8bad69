package io.omendb.raft.client;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicy;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * {@link GroupTransport} over Ratis: the three Ratis clients of one group.
 *
 * <p>{@code leader} carries everything addressed to the leader (leader reads, admin) and {@code replica} the reads
 * addressed to one replica. Ratis' ordered async protocol keeps one sliding window per target; mixing
 * leader-addressed and replica-addressed requests in one client made the first replica-addressed request to the
 * current leader wait for its request timeout (observed with 3.3.0), so each client only ever uses one kind of
 * addressing. Both are replaced when they answer AlreadyClosedException or GroupMismatchException, the replacement
 * starting at the next peer ({@link ReplaceableClient}).
 *
 * <p>{@code entries} is used only for its gRPC proxies, which carry {@link LeaderPath}'s log entries and
 * {@link ReadPath}'s fail-fast reads, each sent once on Ratis' unordered stream ({@link #send}): resetting a proxy after
 * a transport failure closes its streams, and must not cut the ordered streams of the clients above (in-flight
 * reads); and a request failed there leaves no ordered window closed behind it. Thread-safe; closed when the group's
 * membership changes.
 */
final class RatisGroupClients implements GroupTransport {
    private final ReplaceableClient<RaftClient> leader;
    private final ReplaceableClient<RaftClient> replica;
    private final RaftClient entries;
    private final Executor reconnects;

    /**
     * How the clients of every group are built.
     *
     * @param leaderRetryPolicy  retries of leader-addressed requests (they ride out elections)
     * @param replicaRetryPolicy retries of replica-addressed reads: short, because Ratis orders requests per target
     *                           and a long retry against a dead replica would hold up every later read of it
     * @param reconnects         where gRPC proxies are reset after transport failures (it may block for seconds)
     */
    record Settings(RaftProperties properties, Parameters parameters, RetryPolicy leaderRetryPolicy,
                    RetryPolicy replicaRetryPolicy, Executor reconnects) {
        /**
         * A client of {@code group} that starts at its peer {@code generation mod n} (Ratis follows the leader hints
         * from there; see {@link ReplaceableClient} for why replacements start elsewhere).
         */
        RaftClient newClient(RaftGroup group, RetryPolicy retryPolicy, int generation) {
            List<RaftPeer> peers = List.copyOf(group.getPeers());
            RaftClient.Builder b = RaftClient.newBuilder().setRaftGroup(group).setProperties(properties)
                    .setParameters(parameters).setRetryPolicy(retryPolicy);
            if (!peers.isEmpty()) {
                b.setLeaderId(peers.get(Math.floorMod(generation, peers.size())).getId());
            }
            return b.build();
        }
    }

    RatisGroupClients(RaftGroup group, Settings settings) {
        this.leader = new ReplaceableClient<>(g -> settings.newClient(group, settings.leaderRetryPolicy(), g));
        this.replica = new ReplaceableClient<>(g -> settings.newClient(group, settings.replicaRetryPolicy(), g));
        this.entries = settings.newClient(group, settings.leaderRetryPolicy(), 0);
        this.reconnects = settings.reconnects();
    }

    /** The leader-addressed client, for admin calls. */
    RaftClient leader() {
        return leader.get();
    }

    @Override
    public CompletableFuture<RaftClientReply> readFromLeader(Message query) {
        return leader.callOnce(c -> c.async().sendReadOnly(query));
    }

    @Override
    public CompletableFuture<RaftClientReply> readFromReplica(Message query, RaftPeerId target) {
        return replica.callRepeatingIfClosed(c -> c.async().sendReadOnly(query, target));
    }

    @Override
    public CompletableFuture<RaftClientReply> staleRead(Message query, long minIndex, RaftPeerId target) {
        return replica.callRepeatingIfClosed(c -> c.async().sendStaleRead(query, minIndex, target));
    }

    /**
     * Sends {@code r} as it is through the entry client's gRPC proxies. A transport failure resets the proxy to that
     * server, as Ratis' own client does: a gRPC stream that failed stays closed ("client->n1 is closed") until its
     * proxy is replaced. The reset closes a gRPC channel, which waits seconds for a graceful shutdown, so it runs on
     * {@code reconnects}, never on the caller's thread (an HTTP event loop: a reset there once stalled a router's
     * every request for minutes), and the failure is answered only after it.
     *
     * <p>A request the proxy refused before sending it (a stream already closed after its server failed, or no proxy)
     * fails at once, inside Ratis' call: that failure is reported as {@link RequestNotSentException}, which a forward
     * may be resent after ({@link LeaderPath#certainlyNotRun}). A stream that fails in the microseconds between
     * sending a request and this check would be misread the same way; Ratis gives no other signal.
     */
    @Override
    public CompletableFuture<RaftClientReply> send(RaftClientRequest r) {
        RaftClientRpc rpc = entries.getClientRpc();
        CompletableFuture<RaftClientReply> sent = rpc.sendRequestAsyncUnordered(r);
        boolean refusedBeforeSending = sent.isCompletedExceptionally();
        return sent.handleAsync((reply, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(reply);
            }
            Throwable cause = Failures.unwrap(error);
            rpc.handleException(r.getServerId(), cause, true);
            return CompletableFuture.<RaftClientReply>failedFuture(refusedBeforeSending
                    ? new RequestNotSentException(r, cause) : cause);
        }, reconnects).thenCompose(Function.identity());
    }

    @Override
    public void close() throws IOException {
        try {
            replica.close();
        } finally {
            try {
                leader.close();
            } finally {
                entries.close();
            }
        }
    }
}
