package io.omendb.raft;

import io.omendb.raft.client.DaemonThreads;

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
