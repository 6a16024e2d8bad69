package io.omendb.raft.statemachine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Futures that complete once a replica's applied index reaches a given index: a stale read with a minimum index
 * ("read my write on a follower") waits here instead of failing. At most {@code waitersMax} distinct indexes wait;
 * beyond that a read fails fast rather than growing an unbounded queue. Waiters are completed outside the lock.
 * Thread-safe.
 */
final class AppliedIndexWaiters {
    private final int waitersMax;
    private final TreeMap<Long, CompletableFuture<Void>> waiting = new TreeMap<>();
    private long applied;

    AppliedIndexWaiters(int waitersMax) {
        this.waitersMax = waitersMax;
    }

    /** Completes when the applied index is at least {@code index}. */
    CompletableFuture<Void> await(long index) {
        synchronized (this) {
            if (applied >= index) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = waiting.get(index);
            if (f == null) {
                if (waiting.size() >= waitersMax) {
                    return CompletableFuture.failedFuture(new IllegalStateException(
                            "too many reads waiting for this replica to catch up (" + waitersMax + "); retry"));
                }
                f = new CompletableFuture<>();
                waiting.put(index, f);
            }
            return f;
        }
    }

    void advance(long index) {
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        synchronized (this) {
            if (index <= applied) {
                return;
            }
            applied = index;
            Map<Long, CompletableFuture<Void>> head = waiting.headMap(index, true);
            ready.addAll(head.values());
            head.clear();
        }
        ready.forEach(f -> f.complete(null));
    }

    /** Fails every waiter (the replica is closing). */
    void failAll(Exception cause) {
        List<CompletableFuture<Void>> all;
        synchronized (this) {
            all = new ArrayList<>(waiting.values());
            waiting.clear();
        }
        all.forEach(f -> f.completeExceptionally(cause));
    }
}
