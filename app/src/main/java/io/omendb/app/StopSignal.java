package io.omendb.app;

import sun.misc.Signal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Waits for SIGTERM or SIGINT so the main thread can close everything in order and exit 0. A JVM shutdown hook
 * would also run on SIGTERM, but the process would then exit 143; handling the signal ourselves keeps a clean
 * stop distinguishable from a crash.
 */
final class StopSignal {
    private final CountDownLatch stop = new CountDownLatch(1);

    static StopSignal install() {
        StopSignal s = new StopSignal();
        Signal.handle(new Signal("TERM"), sig -> s.stop.countDown());
        Signal.handle(new Signal("INT"), sig -> s.stop.countDown());
        return s;
    }

    void await() throws InterruptedException {
        stop.await();
    }

    /** Waits at most {@code timeoutMs}; true when the signal came. */
    boolean await(long timeoutMs) throws InterruptedException {
        return stop.await(timeoutMs, TimeUnit.MILLISECONDS);
    }
}
