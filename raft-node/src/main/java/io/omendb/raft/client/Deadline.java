package io.omendb.raft.client;

import java.util.concurrent.TimeUnit;

/**
 * The moment by which a caller wants its answer, as a reading of the {@link ClientTime#nanoTime()} of the
 * {@link ClusterClient} that made it ({@link ClusterClient#deadlineIn}): absolute, so that every layer a request
 * passes through (waiting for the first range table, re-routes) spends the same budget instead of starting its own.
 * Only meaningful on the clock it was read from.
 *
 * @param atNanos the clock's reading at the deadline
 */
public record Deadline(long atNanos) {
    /** {@code timeoutMs} from now on {@code time}. */
    static Deadline in(ClientTime time, long timeoutMs) {
        if (timeoutMs < 0) {
            throw new IllegalArgumentException("timeoutMs must be >= 0: " + timeoutMs);
        }
        return new Deadline(time.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
    }

    /** Nanoseconds left on {@code time} (negative once passed). */
    long remainingNanos(ClientTime time) {
        return atNanos - time.nanoTime();
    }
}
