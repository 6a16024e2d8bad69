package io.omendb.raft;

/**
 * One named daemon thread that runs a node-level task once (seeding the range table, registering the node): started
 * at most once; {@link #close} interrupts it and waits for it to end, at most {@code joinMs}, so a node stops
 * promptly. Closing one never started is a no-op.
 */
final class OneShotThread implements AutoCloseable {
    private final Thread thread;
    private final long joinMs;

    OneShotThread(String name, Runnable task, long joinMs) {
        this.thread = new Thread(task, name);
        this.thread.setDaemon(true);
        this.joinMs = joinMs;
    }

    void start() {
        thread.start();
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(joinMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
