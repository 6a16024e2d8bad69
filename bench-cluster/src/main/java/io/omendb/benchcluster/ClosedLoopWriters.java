package io.omendb.benchcluster;

import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code clients} closed-loop writers on uniformly chosen keys of the whole key space, each with its own key chooser
 * (seeded {@code seed + client}) and one value of {@code valueBytes}, from construction until {@link #close}. Until
 * {@link #recordInto} they only load the cluster; then each write (its key, start and end in
 * {@link System#nanoTime()} terms, and whether it succeeded: any exception is a failure) is handed to the
 * {@link Recorder}. Threading: one platform thread per client; the recorder is published through a volatile field
 * and called on the writer threads, so it must be thread-safe. The first {@value #ERRORS_PRINTED_MAX} errors are
 * printed on stderr.
 */
final class ClosedLoopWriters implements AutoCloseable {
    private static final int ERRORS_PRINTED_MAX = 5;
    private static final long CLOSE_WAIT_S = 60;

    /** Takes one completed write; called concurrently by the writer threads. */
    interface Recorder {
        void record(byte[] key, long startNanos, long endNanos, boolean ok);
    }

    private final ExecutorService pool;
    private final AtomicInteger errorsPrinted = new AtomicInteger();
    private volatile Recorder recorder;
    private volatile boolean stopped;

    ClosedLoopWriters(KvTarget target, KeySpace keys, int valueBytes, int clients, long seed, String threadName) {
        pool = Executors.newFixedThreadPool(clients, DaemonThreads.named(threadName));
        for (int c = 0; c < clients; c++) {
            long clientSeed = seed + c;
            pool.submit(() -> write(target, keys, KeyChooser.of("uniform", keys.keyCount(), clientSeed),
                    KeySpace.value(new Random(~clientSeed), valueBytes)));
        }
    }

    /** From now on, each write is handed to {@code into}. */
    void recordInto(Recorder into) {
        recorder = into;
    }

    private void write(KvTarget target, KeySpace keys, KeyChooser chooser, byte[] value) {
        while (!stopped) {
            byte[] key = keys.key(chooser.next());
            long start = System.nanoTime();
            boolean ok = true;
            try {
                target.put(key, value);
            } catch (Exception e) {
                ok = false;
                if (!stopped && errorsPrinted.getAndIncrement() < ERRORS_PRINTED_MAX) {
                    System.err.println("write error: " + e);
                }
            }
            long end = System.nanoTime();
            Recorder r = recorder;
            if (r != null) {
                r.record(key, start, end, ok);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        pool.shutdownNow();
        pool.awaitTermination(CLOSE_WAIT_S, TimeUnit.SECONDS);
    }
}
