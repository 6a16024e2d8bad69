package io.omendb.router.security;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Slows password guessing: after {@code failuresMax} failed authentications from one remote address within
 * {@code windowMs}, further attempts from it are refused (429 with Retry-After) until the window that started
 * with its first failure ends. A success does not reset the count (a guesser that knows one password must not
 * get unlimited guesses at others).
 *
 * <p><b>Bounds.</b> At most {@code addressesMax} addresses are tracked; when full, expired windows are dropped,
 * and if none expired the new address is not tracked (it is then limited only by the bcrypt pool's queue).
 * Thread-safe; time from an injected nanosecond clock.
 */
public final class FailureLimiter {
    private record Window(long startNanos, int failures) {
    }

    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private final int failuresMax;
    private final long windowNanos;
    private final int addressesMax;
    private final LongSupplier nanoClock;

    public FailureLimiter(int failuresMax, long windowMs, int addressesMax, LongSupplier nanoClock) {
        this.failuresMax = failuresMax;
        this.windowNanos = windowMs * 1_000_000L;
        this.addressesMax = addressesMax;
        this.nanoClock = nanoClock;
    }

    /** Milliseconds until {@code address} may try again, or 0 when it may try now. */
    public long blockedForMs(String address) {
        Window w = windows.get(address);
        if (w == null || w.failures() < failuresMax) {
            return 0;
        }
        long left = w.startNanos() + windowNanos - nanoClock.getAsLong();
        return left <= 0 ? 0 : Math.max(1, left / 1_000_000L);
    }

    public void recordFailure(String address) {
        long now = nanoClock.getAsLong();
        if (windows.size() >= addressesMax && !windows.containsKey(address)) {
            purgeExpired(now);
            if (windows.size() >= addressesMax) {
                return;
            }
        }
        windows.compute(address, (a, w) -> w == null || now - w.startNanos() >= windowNanos
                ? new Window(now, 1) : new Window(w.startNanos(), w.failures() + 1));
    }

    private void purgeExpired(long now) {
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
            if (now - it.next().startNanos() >= windowNanos) {
                it.remove();
            }
        }
    }
}
