package io.omendb.benchcluster;

import java.util.List;
import java.util.Locale;

/**
 * When a warm-up may end: the same rule for every target, so no target is measured while it is still warming.
 *
 * <p>The load runs in windows of {@code windowMs}; after each one the caller passes the throughput of every
 * window so far and gets a {@link Decision}. The warm-up is {@link Decision#STEADY} at the first window boundary
 * where at least {@code minMs} have passed and the mean throughput of the last {@link #SPAN_WINDOWS} windows differs
 * by less than {@code tolerance} from the mean of the {@link #SPAN_WINDOWS} windows before them (a window with no
 * completed operation is never steady: the target is not serving yet). Otherwise it ends
 * {@link Decision#MAX_REACHED} once {@code maxMs} have passed; the last window is cut short so the warm-up never
 * exceeds {@code maxMs}. {@code maxMs = 0} means no warm-up at all.
 *
 * <p>Why: on 2 saturated cores the JVM targets (OmenDB's nodes, RheaKV's stores) keep compiling hot code with
 * C2 for minutes, and their throughput climbs the whole time; a fixed warm-up measured the JIT, not the store.
 * Why spans and not two windows: the rule first compared two consecutive 10-s windows, whose noise (a few percent)
 * hid a climb of 2-3 % per window, and declared OmenDB's write cells steady at 180 s while they still rose for
 * another two minutes (docs/BENCHMARKS.md); a climb of 2 % per window moves two adjacent 3-window means by 6 %.
 *
 * <p>Pure and immutable: no clock, no threads (the caller times the windows), so every case is a unit test.
 */
final class WarmupRule {
    enum Decision { CONTINUE, STEADY, MAX_REACHED }

    /** Windows averaged on each side of the comparison. */
    static final int SPAN_WINDOWS = 3;

    private final long minMs;
    private final long windowMs;
    private final long maxMs;
    private final double tolerance;

    WarmupRule(long minMs, long windowMs, long maxMs, double tolerance) {
        if (minMs < 0 || windowMs < 1 || maxMs < minMs) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "warm-up needs 0 <= minimum <= maximum and a window >= 1 ms, got minimum %d ms, window %d ms,"
                            + " maximum %d ms", minMs, windowMs, maxMs));
        }
        if (!(tolerance > 0 && tolerance < 1)) {
            throw new IllegalArgumentException("warm-up tolerance must be above 0 % and below 100 %, got "
                    + tolerance * 100 + " %");
        }
        this.minMs = minMs;
        this.windowMs = windowMs;
        this.maxMs = maxMs;
        this.tolerance = tolerance;
    }

    /** Length of the next window after {@code windowsDone} windows (only asked while the answer is CONTINUE). */
    long nextWindowMs(int windowsDone) {
        return Math.min(windowMs, maxMs - elapsedMs(windowsDone));
    }

    /** Warm-up time after {@code windowsDone} windows of this rule's schedule. */
    long elapsedMs(int windowsDone) {
        return Math.min(maxMs, windowsDone * windowMs);
    }

    /** The decision after the windows whose throughputs (operations per second, oldest first) are given. */
    Decision decide(List<Double> windowOpsPerSecond) {
        int n = windowOpsPerSecond.size();
        long elapsed = elapsedMs(n);
        if (n >= 2 * SPAN_WINDOWS && elapsed >= minMs && !windowOpsPerSecond.subList(n - 2 * SPAN_WINDOWS, n)
                .contains(0.0)) {
            double earlier = mean(windowOpsPerSecond.subList(n - 2 * SPAN_WINDOWS, n - SPAN_WINDOWS));
            double later = mean(windowOpsPerSecond.subList(n - SPAN_WINDOWS, n));
            if (Math.abs(later - earlier) / earlier < tolerance) {
                return Decision.STEADY;
            }
        }
        return elapsed >= maxMs ? Decision.MAX_REACHED : Decision.CONTINUE;
    }

    private static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }
}
