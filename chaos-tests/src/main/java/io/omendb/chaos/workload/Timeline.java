package io.omendb.chaos.workload;

import io.omendb.linearizability.Op;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Per-second counts of completed client operations by outcome, for the plot and the report. Thread-safe.
 * Seconds are counted from {@code originNs}.
 */
public final class Timeline {
    public record Second(long second, long ok, long failed, long unknown) {
    }

    private final long originNs;
    private final ConcurrentHashMap<Long, AtomicLongArray> seconds = new ConcurrentHashMap<>();

    public Timeline(long originNs) {
        this.originNs = originNs;
    }

    public long originNs() {
        return originNs;
    }

    public double secondsAt(long nanoTime) {
        return (nanoTime - originNs) / 1e9;
    }

    /** Counts an operation at the time its outcome became known to the client. */
    public void record(Op.Outcome outcome, long atNs) {
        long s = Math.max(0, (atNs - originNs) / 1_000_000_000L);
        seconds.computeIfAbsent(s, k -> new AtomicLongArray(3)).incrementAndGet(outcome.ordinal());
    }

    public List<Second> seconds() {
        long last = seconds.keySet().stream().mapToLong(Long::longValue).max().orElse(-1);
        List<Second> out = new ArrayList<>();
        for (long s = 0; s <= last; s++) {
            AtomicLongArray c = seconds.get(s);
            out.add(c == null ? new Second(s, 0, 0, 0)
                    : new Second(s, c.get(Op.Outcome.OK.ordinal()), c.get(Op.Outcome.FAILED.ordinal()),
                    c.get(Op.Outcome.UNKNOWN.ordinal())));
        }
        return out;
    }
}
