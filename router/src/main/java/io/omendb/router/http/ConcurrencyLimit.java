package io.omendb.router.http;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Server-wide cap on requests being served at once ({@code max_concurrent_requests}). Non-blocking: a request
 * that finds no permit is answered 429 at once rather than queued, so overload never grows a hidden queue.
 */
final class ConcurrencyLimit {
    private final int maxConcurrentRequests;
    private final AtomicInteger inFlight = new AtomicInteger();

    ConcurrencyLimit(int maxConcurrentRequests) {
        this.maxConcurrentRequests = maxConcurrentRequests;
    }

    boolean tryAcquire() {
        if (inFlight.incrementAndGet() > maxConcurrentRequests) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        int after = inFlight.decrementAndGet();
        assert after >= 0 : "released more permits than acquired";
    }

    int maxConcurrentRequests() {
        return maxConcurrentRequests;
    }
}
