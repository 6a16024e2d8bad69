package io.omendb.raft.client;

import java.io.Closeable;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Blocking Ratis calls addressed to one node (group management: list a node's groups, a group's role there, create or
 * delete a group there), each bounded and isolated per node, so a node that does not answer delays only calls to
 * itself.
 *
 * <p><b>Guarantees.</b> (1) Every call's future completes within {@code callTimeoutMs} on the injected clock: with
 * the answer, the {@link ClientException} the call threw, or UNAVAILABLE (any other failure, or "did not answer
 * within"). (2) A call to one node never waits for a
 * call to another: each node has its own two lanes, one thread each. (3) A status call ({@link #probe}) never waits
 * for a change ({@link #change}: creating or deleting a group, which closes a Raft division and can take seconds) to
 * the same node. (4) A call still queued when its caller's deadline passed is dropped, not run: a dead node's lane
 * falls at most one call behind. Each node's client is built by the injected factory with a retry policy that gives up
 * (in production a few attempts, together shorter than {@code callTimeoutMs}), so the thread a call to a dead node
 * holds is freed soon after its caller gave up.
 *
 * <p><b>Why lanes rather than a shared pool.</b> With one shared pool of two threads, a call to a dead node held a
 * thread for its client's whole retry budget (tens of seconds), and a status round asking about many ranges on it
 * filled both threads: probes of live nodes, placement rounds and {@code /admin/ranges} waited behind it. Calls
 * addressed to a group's leader (configuration changes, leadership transfers) ride out elections and stay on the
 * client's admin pool ({@link ClusterAdmin#blocking}); only calls addressed to one node run here.
 *
 * <p><b>Threading.</b> Thread-safe. Lanes and clients are made on a node's first call; a lane's thread exits after
 * {@link #LANE_IDLE_MS} idle. {@link #close} stops every lane and closes every client.
 *
 * @param <C> the client type (a Ratis client in production, a fake in tests)
 */
final class NodeCalls<C extends Closeable> implements AutoCloseable {
    /** Calls waiting in one lane at most; more are refused (UNAVAILABLE), not queued without end. */
    static final int LANE_QUEUED_MAX = 4_096;
    static final long LANE_IDLE_MS = 60_000;

    /** A blocking call made with one node's client. */
    interface Call<C, T> {
        T call(C client) throws IOException;
    }

    private final Function<String, C> clients;
    private final ClientTime time;
    private final long callTimeoutMs;
    private final Map<String, Lanes<C>> byNode = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param clients       makes the client calls to node {@code nodeId} go through (once per node)
     * @param time          the clock the deadlines run on
     * @param callTimeoutMs how long a caller waits for one call, queueing included
     */
    NodeCalls(Function<String, C> clients, ClientTime time, long callTimeoutMs) {
        if (callTimeoutMs < 1) {
            throw new IllegalArgumentException("callTimeoutMs must be >= 1, got " + callTimeoutMs);
        }
        this.clients = clients;
        this.time = time;
        this.callTimeoutMs = callTimeoutMs;
    }

    /** How long a caller waits for one call. */
    long callTimeoutMs() {
        return callTimeoutMs;
    }

    /** A call that only reads a node's state (its groups, a group's role there). */
    <T> CompletableFuture<T> probe(String nodeId, Call<C, T> call) {
        return submit(nodeId, true, call);
    }

    /** A call that changes a node (creates or deletes a group there). */
    <T> CompletableFuture<T> change(String nodeId, Call<C, T> call) {
        return submit(nodeId, false, call);
    }

    private <T> CompletableFuture<T> submit(String nodeId, boolean probe, Call<C, T> call) {
        if (closed) {
            return CompletableFuture.failedFuture(new ClientException(ErrorCode.UNAVAILABLE, "the client is closed"));
        }
        Lanes<C> lanes = byNode.computeIfAbsent(nodeId, id -> new Lanes<>(id, clients));
        CompletableFuture<T> answer = new CompletableFuture<>();
        time.orTimeout(answer, callTimeoutMs);
        try {
            (probe ? lanes.probes : lanes.changes).execute(() -> {
                if (answer.isDone()) {
                    return; // its caller gave up while it waited: the node is not asked for nothing
                }
                try {
                    answer.complete(call.call(lanes.client()));
                } catch (ClientException e) {
                    answer.completeExceptionally(e);
                } catch (IOException | RuntimeException e) { // Ratis throws gRPC's StatusRuntimeException as it is
                    answer.completeExceptionally(new ClientException(ErrorCode.UNAVAILABLE, "node '" + nodeId
                            + "': " + e, e));
                }
            });
        } catch (RejectedExecutionException e) {
            answer.completeExceptionally(new ClientException(ErrorCode.UNAVAILABLE, "calls to node '" + nodeId
                    + "' refused (" + LANE_QUEUED_MAX + " already wait, or the client is closed); retry later", e));
        }
        return answer.exceptionallyCompose(t -> CompletableFuture.failedFuture(t instanceof TimeoutException
                ? new ClientException(ErrorCode.UNAVAILABLE, "node '" + nodeId + "' did not answer within "
                + callTimeoutMs + " ms", t) : t));
    }

    /** One node's client (made on first use) and its two single-thread lanes. */
    private static final class Lanes<C extends Closeable> {
        final ThreadPoolExecutor probes;
        final ThreadPoolExecutor changes;
        private final String nodeId;
        private final Function<String, C> clients;
        private C client;

        Lanes(String nodeId, Function<String, C> clients) {
            this.nodeId = nodeId;
            this.clients = clients;
            this.probes = lane("omendb-client-probe-" + nodeId);
            this.changes = lane("omendb-client-change-" + nodeId);
        }

        private static ThreadPoolExecutor lane(String name) {
            ThreadPoolExecutor lane = new ThreadPoolExecutor(1, 1, LANE_IDLE_MS, TimeUnit.MILLISECONDS,
                    new ArrayBlockingQueue<>(LANE_QUEUED_MAX), DaemonThreads.named(name));
            lane.allowCoreThreadTimeOut(true);
            return lane;
        }

        synchronized C client() {
            if (client == null) {
                client = clients.apply(nodeId);
            }
            return client;
        }

        synchronized void close() {
            probes.shutdownNow();
            changes.shutdownNow();
            if (client != null) {
                try {
                    client.close();
                } catch (IOException ignored) {
                    // closing a client of a node we no longer call; nothing to do
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        byNode.values().forEach(Lanes::close);
        byNode.clear();
    }
}
