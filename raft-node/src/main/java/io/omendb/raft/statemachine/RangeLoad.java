package io.omendb.raft.statemachine;

import io.omendb.storage.Bytes;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The load on one range replica, window by window: how many keyed requests it served or applied, and a uniform sample
 * of their keys, from which the key that cuts the load in two equal halves is read (what a load-based split splits at:
 * the load's median, not the bytes' one).
 *
 * <p><b>Cost on the request path.</b> A request adds one to an atomic counter; every {@link #SAMPLE_EVERY}th also takes
 * a lock to put its key into the window's reservoir of at most {@code sampleMax} keys (Vitter's algorithm R over the
 * sampled requests), so the sample stays uniform over the window whatever the rate.
 *
 * <p><b>Windows.</b> {@link #lastWindow} answers for the last <em>complete</em> window of {@code windowMs}; a window
 * rolls over when a request or a reader sees that its time is up (an idle range's last window is empty).
 *
 * <p>Thread-safe: requests come from the apply thread and query threads; the clock and randomness are injected.
 */
public final class RangeLoad {
    /** Every this many-th request puts its key into the sample. */
    static final int SAMPLE_EVERY = 8;

    /** A complete window: requests per second and the load's median key (null when nothing was sampled). */
    public record Window(double opsPerSecond, byte[] medianKeyOrNull) {
        static final Window EMPTY = new Window(0, null);
    }

    private final long windowMs;
    private final int sampleMax;
    private final LongSupplier clockMs;
    private final RandomGenerator random;
    private final AtomicLong count = new AtomicLong();
    private final Object lock = new Object();
    private long windowStartMs;
    private List<byte[]> sample = new ArrayList<>();
    private long sampled;
    private Window last = Window.EMPTY;

    public RangeLoad(long windowMs, int sampleMax, LongSupplier clockMs, RandomGenerator random) {
        if (windowMs <= 0 || sampleMax <= 0) {
            throw new IllegalArgumentException("window and sample size must be positive");
        }
        this.windowMs = windowMs;
        this.sampleMax = sampleMax;
        this.clockMs = clockMs;
        this.random = random;
        this.windowStartMs = clockMs.getAsLong();
    }

    /** Counts one request on {@code key}. */
    public void record(byte[] key) {
        boolean sampleIt = count.incrementAndGet() % SAMPLE_EVERY == 0;
        if (sampleIt || needsRoll()) {
            synchronized (lock) {
                roll();
                if (sampleIt) {
                    sampled++;
                    if (sample.size() < sampleMax) {
                        sample.add(key);
                    } else {
                        long slot = random.nextLong(sampled);
                        if (slot < sampleMax) {
                            sample.set((int) slot, key);
                        }
                    }
                }
            }
        }
    }

    /** The last complete window (empty before the first one ended). */
    public Window lastWindow() {
        synchronized (lock) {
            roll();
            return last;
        }
    }

    private boolean needsRoll() {
        return clockMs.getAsLong() - windowStartMs >= windowMs;
    }

    private void roll() {
        long now = clockMs.getAsLong();
        if (now - windowStartMs < windowMs) {
            return;
        }
        boolean justEnded = now - windowStartMs < 2 * windowMs;
        long n = count.getAndSet(0);
        if (justEnded) {
            List<byte[]> keys = new ArrayList<>(sample);
            keys.sort(Bytes::compare);
            last = new Window(n * 1000.0 / windowMs, keys.isEmpty() ? null : keys.get(keys.size() / 2));
        } else {
            last = Window.EMPTY; // a whole window passed without any request: the range is idle
        }
        windowStartMs = now - (now - windowStartMs) % windowMs;
        sample = new ArrayList<>();
        sampled = 0;
    }
}
