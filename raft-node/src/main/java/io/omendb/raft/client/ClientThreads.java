package io.omendb.raft.client;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads a {@link ClusterClient} owns, each pool named and bounded:
 * <ul>
 *   <li>{@code omendb-client-admin}: blocking Ratis admin calls addressed to a group's leader (configuration
 *       changes, leadership transfers: {@link ClusterAdmin#blocking}), {@value #ADMIN_THREADS} threads, at most
 *       {@value #ADMIN_QUEUED_MAX} calls waiting (more are refused, not queued without end). Calls addressed to one
 *       node are not run here but on that node's own lanes ({@link NodeCalls}), so a node that does not answer never
 *       holds these threads;</li>
 *   <li>{@code omendb-client-reconnect}: replies of log entries, and resets of gRPC proxies after transport failures,
 *       which block while a channel shuts down; up to {@value #RECONNECT_THREADS_MAX} threads, idle ones leave after
 *       {@value #RECONNECT_IDLE_MS} ms; beyond that the thread that completed the reply runs the task itself;</li>
 *   <li>{@code omendb-client-timer}: one thread for every delay of the client path ({@link ClientTime}): group
 *       commit's lingers run on it (they only hand a message on); resends and read retries only wake up there and
 *       run on the common fork-join pool, like {@code CompletableFuture.delayedExecutor}. Its queue holds at most one
 *       task per request in flight; cancelled tasks leave it at once.</li>
 * </ul>
 * All threads are daemons. {@link #close} stops taking work; delays already set still run.
 */
final class ClientThreads implements AutoCloseable {
    static final int ADMIN_THREADS = 2;
    static final int ADMIN_QUEUED_MAX = 4096;
    static final int RECONNECT_THREADS_MAX = 64;
    static final long RECONNECT_IDLE_MS = 60_000;

    private final ThreadPoolExecutor admin = new ThreadPoolExecutor(ADMIN_THREADS, ADMIN_THREADS, 0,
            TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(ADMIN_QUEUED_MAX),
            DaemonThreads.named("omendb-client-admin"));
    private final ThreadPoolExecutor reconnects = new ThreadPoolExecutor(0, RECONNECT_THREADS_MAX, RECONNECT_IDLE_MS,
            TimeUnit.MILLISECONDS, new SynchronousQueue<>(), DaemonThreads.named("omendb-client-reconnect"),
            ClientThreads::runHereUnlessClosed);
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
            DaemonThreads.named("omendb-client-timer"));
    private final ClientTime lingerTime = ClientTime.onThreadOf(timer);
    private final ClientTime retryTime = ClientTime.handingTo(timer, ForkJoinPool.commonPool());

    ClientThreads() {
        timer.setRemoveOnCancelPolicy(true);
    }

    /** Blocking admin calls (a full queue refuses with RejectedExecutionException). */
    ExecutorService admin() {
        return admin;
    }

    /** Replies of log entries and proxy resets ({@link RatisGroupClients#send}). */
    ExecutorService reconnects() {
        return reconnects;
    }

    /** Group commit's linger timers: tasks run on the timer thread. */
    ClientTime lingerTime() {
        return lingerTime;
    }

    /** Resend sleeps, attempt timeouts and the read retry window: tasks run on the common pool. */
    ClientTime retryTime() {
        return retryTime;
    }

    /**
     * Runs a task the saturated reconnect pool refused on the thread that submitted it; once the pool is shut down,
     * refuses it so that whatever waits on it fails instead of hanging (the JDK's CallerRunsPolicy drops it silently).
     */
    private static void runHereUnlessClosed(Runnable task, ThreadPoolExecutor pool) {
        if (pool.isShutdown()) {
            throw new RejectedExecutionException("the client is closed");
        }
        task.run();
    }

    @Override
    public void close() {
        admin.shutdownNow();
        reconnects.shutdownNow();
        timer.shutdown();
    }
}
