package io.omendb.raft;

import io.omendb.raft.client.DaemonThreads;
import org.slf4j.Logger;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One named daemon thread that runs a node-level role's scheduled work (split follow-ups, automatic split checks):
 * tasks run one at a time, in order; {@link #close} interrupts the running one and waits for it, bounded, so a node
 * stops promptly.
 */
final class BackgroundThread implements AutoCloseable {
    /** How long {@link #close} waits for the task in progress. */
    static final long CLOSE_WAIT_MS = 5_000;

    private final ScheduledExecutorService executor;

    BackgroundThread(String name) {
        this.executor = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(name));
    }

    ScheduledExecutorService executor() {
        return executor;
    }

    /** A periodic check; it may throw, and is run again at its next time all the same. */
    interface Check {
        void run() throws Exception;
    }

    /**
     * Runs {@code check} every {@code periodS} seconds, the first time one period from now; a run that fails is logged
     * (WARN, "{@code what} failed") and the next one comes at its time; an interrupted run ends quietly (closing).
     */
    void every(long periodS, Check check, Logger log, String what) {
        executor.scheduleWithFixedDelay(() -> {
            try {
                check.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.warn("{} failed: {}", what, e.toString());
            }
        }, periodS, periodS, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
