package io.omendb.benchcluster;

import org.HdrHistogram.Histogram;

/**
 * Operation latencies and errors in consecutive one-second windows from a start instant, so that what happens in
 * the seconds around an event (a range split) can be set against the seconds before it. An operation belongs to the
 * window of the instant the caller gives: its completion (a write stalled by the event shows its whole latency in the
 * window where it came back) or its start (the writes sent during the event, however long they took). Latency is in microseconds (HdrHistogram, 3 significant digits, up to
 * {@link LoadGenerator#LATENCY_MAX_US}), as in {@link LoadGenerator}; a failed operation counts as an error and adds
 * no latency.
 *
 * <p>Bounded: {@code windowCount} windows are allocated up front; an operation completing before the start or after
 * the last window is counted in {@link #outside()} and otherwise dropped. Thread-safe: any number of client threads
 * record at once (each window is locked while one records into it; contention is negligible at the few thousand
 * operations per second a 3-node cluster on this machine serves). Time is whatever {@link System#nanoTime()}-like
 * clock the caller passes, so tests give exact instants.
 */
final class LatencyWindows {
    static final long WINDOW_NANOS = 1_000_000_000L;

    /** Merged figures of one or more windows; latencies in ms, -1 when no operation succeeded in them. */
    record Stats(long ops, long errors, double p50Ms, double p99Ms, double maxMs) {
    }

    private static final class Window {
        final Histogram latencyUs = new Histogram(LoadGenerator.LATENCY_MAX_US, 3);
        long errors;
    }

    private final long startNanos;
    private final Window[] windows;
    private long outside;

    LatencyWindows(long startNanos, int windowCount) {
        if (windowCount < 1) {
            throw new IllegalArgumentException("windowCount must be >= 1, got " + windowCount);
        }
        this.startNanos = startNanos;
        this.windows = new Window[windowCount];
        for (int i = 0; i < windowCount; i++) {
            windows[i] = new Window();
        }
    }

    /** The window holding instant {@code nanos}: may be negative (before the start) or past the last window. */
    int windowOf(long nanos) {
        return (int) Math.floorDiv(nanos - startNanos, WINDOW_NANOS);
    }

    int windowCount() {
        return windows.length;
    }

    /** Records one operation attributed to instant {@code atNanos}, having taken {@code latencyNanos}. */
    void record(long atNanos, long latencyNanos, boolean ok) {
        int i = windowOf(atNanos);
        if (i < 0 || i >= windows.length) {
            synchronized (this) {
                outside++;
            }
            return;
        }
        Window w = windows[i];
        synchronized (w) {
            if (ok) {
                w.latencyUs.recordValue(Math.min(LoadGenerator.LATENCY_MAX_US, Math.max(1, latencyNanos / 1000)));
            } else {
                w.errors++;
            }
        }
    }

    /** Operations that completed outside every window. */
    synchronized long outside() {
        return outside;
    }

    /** Windows {@code from} (inclusive) to {@code to} (exclusive), clamped to the windows there are, merged. */
    Stats stats(int from, int to) {
        Histogram merged = new Histogram(LoadGenerator.LATENCY_MAX_US, 3);
        long errors = 0;
        for (int i = Math.max(0, from); i < Math.min(to, windows.length); i++) {
            synchronized (windows[i]) {
                merged.add(windows[i].latencyUs);
                errors += windows[i].errors;
            }
        }
        long ops = merged.getTotalCount();
        return ops == 0 ? new Stats(0, errors, -1, -1, -1)
                : new Stats(ops, errors, ms(merged.getValueAtPercentile(50)), ms(merged.getValueAtPercentile(99)),
                ms(merged.getMaxValue()));
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }
}
