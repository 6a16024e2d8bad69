package io.omendb.raft;

import io.omendb.raft.client.DaemonThreads;
import io.omendb.raft.client.LocalRaftServer;
import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.ForwardedWrites;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * This node's Raft server as the router in its process reaches it ({@link LocalRaftServer}).
 *
 * <p><b>Never blocks the caller.</b> {@link #leads} is asked on HTTP event loops for every request, but Ratis'
 * {@code getDivision} waits while a group is still being created or started (a restart, a re-admitted group).
 * So divisions are looked up on a background thread, once per group at a time, and cached; until a group's division
 * is known, and after it closed (a removed group is looked up again), {@code leads} answers false and requests take
 * the gRPC path. Thread-safe.
 *
 * <p><b>Never runs the caller's code on Ratis' threads.</b> Ratis completes a request's future on its own threads:
 * the state machine updater (a write applied; a read that waited for the apply index, completed while Ratis holds
 * its read-index queue's monitor) or a client-request thread. Whatever a router chains on that future — above all
 * its coalescer handing the next queued request to this server — would run there, and Ratis' in-process submission
 * blocks its caller until one of Ratis' client-request threads has taken the request. Measured: a read chained on
 * the updater waited for a client-request thread that waited for the monitor the updater held, and the range's reads
 * and applies stopped for good. So the futures returned here that are still pending complete on a small pool of
 * this class ({@link #REPLY_THREADS} threads), never on a Ratis thread. For the same reason writes other routers
 * forward to this node ({@link #proposeForwarded}) reach the router on that pool, not on the Ratis RPC thread that
 * received them.
 *
 * <p><b>No hand-off where none is needed.</b> A request is handed to its group's division directly, on the caller's
 * thread: Ratis' server-level submission would move it to one of its client-request threads and block the caller
 * until that thread had run the synchronous part of the submission (two context switches for nothing). That part —
 * for a lease read the lease check, the read index, and the query when that index is applied already; for a write
 * the append to the log queue — now runs on the caller's thread, which waited for exactly that work before. A
 * reply complete on return (a lease read of an applied index: most reads) is returned as it is, and whatever the
 * caller chains on it runs on the caller's own thread; only replies still pending move to the reply pool. Measured:
 * a lease read took four thread hand-offs (event loop, client-request thread, reply pool, event loop), a third of a
 * node's CPU samples were the kernel's context switches, and without them mixed throughput rose by half
 * (docs/BENCHMARKS.md). Until a group's division is known, requests take Ratis' server-level submission.
 */
final class LocalDivisions implements LocalRaftServer, AutoCloseable {
    /** Threads that complete in-process requests' futures (and run what callers chained on them). */
    private static final int REPLY_THREADS = 4;
    private static final String REPLY_THREAD_NAME = "omendb-local-replies";

    private final RaftServer server;
    private final Map<RaftGroupId, RaftServer.Division> divisions = new ConcurrentHashMap<>();
    private final Set<RaftGroupId> lookups = ConcurrentHashMap.newKeySet();
    private final ExecutorService lookupThreads = Executors.newCachedThreadPool(
            DaemonThreads.named("omendb-local-divisions"));
    private final ExecutorService replies = Executors.newFixedThreadPool(REPLY_THREADS,
            DaemonThreads.named(REPLY_THREAD_NAME));

    /** The router that takes forwarded writes; {@link ForwardedWrites#NONE} until one registers. */
    private volatile ForwardedWrites router = ForwardedWrites.NONE;

    LocalDivisions(RaftServer server) {
        this.server = server;
    }

    @Override
    public void acceptForwards(ForwardedWrites writes) {
        router = writes;
    }

    /**
     * Hands writes forwarded to this node's leading replica of {@code group} to the registered router, on the reply
     * pool; null (refused, nothing proposed) when no router registered or the node is closing.
     */
    CompletableFuture<CommandResult> proposeForwarded(RaftGroupId group, Command entry) {
        ForwardedWrites taker = router;
        if (taker == ForwardedWrites.NONE) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            return CompletableFuture.supplyAsync(() -> taker.propose(group, entry), replies)
                    .thenCompose(Function.identity());
        } catch (RejectedExecutionException closing) {
            return CompletableFuture.completedFuture(null);
        }
    }

    @Override
    public RaftPeerId peerId() {
        return server.getId();
    }

    @Override
    public boolean leads(RaftGroupId group) {
        RaftServer.Division d = divisions.get(group);
        if (d != null && !d.getInfo().getLifeCycleState().isClosingOrClosed()) {
            return d.getInfo().isLeaderReady();
        }
        if (d != null) {
            divisions.remove(group, d);
        }
        if (lookups.add(group)) {
            try {
                lookupThreads.execute(() -> lookUp(group));
            } catch (RuntimeException closing) {
                lookups.remove(group);
            }
        }
        return false;
    }

    private void lookUp(RaftGroupId group) {
        try {
            divisions.put(group, server.getDivision(group));
        } catch (IOException notHostedHere) {
            // asked again by the next request of this group
        } finally {
            lookups.remove(group);
        }
    }

    @Override
    public CompletableFuture<RaftClientReply> submit(RaftClientRequest request) {
        try {
            CompletableFuture<RaftClientReply> reply =
                    divisions.get(request.getRaftGroupId()) instanceof RaftClientAsynchronousProtocol division
                            ? division.submitClientRequestAsync(request)
                            : server.submitClientRequestAsync(request);
            // whenCompleteAsync, unlike thenApplyAsync, also moves a failed request's completion to the pool
            return reply.isDone() ? reply : reply.whenCompleteAsync((r, error) -> {
            }, replies);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        lookupThreads.shutdownNow();
        replies.shutdownNow();
        divisions.clear();
    }
}
