package io.omendb.raft.client;

import io.omendb.raft.meta.RangeTable;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Makes a replica's range refusal (RANGE_MOVED: the request was routed by an out-of-date range table) invisible to
 * callers: it refreshes the range table from the meta group and runs the request again, routed afresh, up to
 * {@value #ATTEMPTS_MAX} attempts in all. Safe because a refused request changed nothing (a write refused at apply is
 * refused on every replica).
 *
 * <p><b>Waiting for the table.</b> A split commits in the range's own log before the meta group's table shows it, so a
 * refresh right after a refusal may return the old table; from the second refusal of a request on, the refresh
 * waits {@value #SLEEP_MS} ms doubling up to {@value #SLEEP_MAX_MS} ms first (1,020 ms of sleeps over all
 * attempts, inside the HTTP deadline of 5 s, so a request still refused is answered 503 — it certainly did not
 * commit — rather than 504 with an unknown outcome). A range frozen for a merge refuses requests until the merge
 * commits (about 2 s for 8 MiB here): requests that outlast the budget fail with 503. 16 attempts (4.2 s) were tried:
 * they outlasted the HTTP deadline and turned such refusals into 504s of unknown outcome (261 in a chaos run instead of
 * about 100), and the linearizability checker could not decide one key's history. Concurrent refusals share one refresh in flight, so a split does not
 * make every waiting request read the meta group.
 *
 * <p>Thread-safe; sleeps on the injected {@link ClientTime}.
 */
final class Rerouter {
    /** Attempts of one request (the first and its re-routes). */
    static final int ATTEMPTS_MAX = 8;
    static final long SLEEP_MS = 20;
    static final long SLEEP_MAX_MS = 400;

    private final Supplier<CompletableFuture<RangeTable>> refresh;
    private final ClientTime time;
    private final LongAdder reroutes = new LongAdder();
    private final AtomicReference<CompletableFuture<RangeTable>> refreshing = new AtomicReference<>();

    /** @param refresh reads the range table from the meta group and installs it */
    Rerouter(Supplier<CompletableFuture<RangeTable>> refresh, ClientTime time) {
        this.refresh = refresh;
        this.time = time;
    }

    /** Requests sent again after a range refusal so far (for metrics). */
    long reroutes() {
        return reroutes.sum();
    }

    /** Runs {@code attempt} (which routes by the cached table each time), re-routing after range refusals. */
    <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> attempt) {
        return run(attempt, 1, 0);
    }

    private <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> attempt, int n, long sleepMs) {
        return attempt.get().handle((value, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(value);
            }
            Throwable t = Failures.unwrap(error);
            if (!(t instanceof ClientException ce) || ce.code() != ErrorCode.RANGE_MOVED || n >= ATTEMPTS_MAX) {
                return CompletableFuture.<T>failedFuture(t);
            }
            reroutes.increment();
            long nextSleepMs = sleepMs == 0 ? SLEEP_MS : Math.min(2 * sleepMs, SLEEP_MAX_MS);
            return time.after(sleepMs).thenCompose(v -> sharedRefresh())
                    .handle((table, refreshError) -> run(attempt, n + 1, nextSleepMs))
                    .thenCompose(Function.identity());
        }).thenCompose(Function.identity());
    }

    /** Starts a refresh of the table (or joins the one in flight) without waiting for it. */
    void refreshSoon() {
        sharedRefresh();
    }

    /** A refresh of the table: the one in flight, or a new one. A failed refresh is not fatal (the next try reads). */
    private CompletableFuture<RangeTable> sharedRefresh() {
        CompletableFuture<RangeTable> mine = new CompletableFuture<>();
        CompletableFuture<RangeTable> inFlight = refreshing.compareAndExchange(null, mine);
        if (inFlight != null) {
            return inFlight;
        }
        refresh.get().whenComplete((table, error) -> {
            refreshing.compareAndSet(mine, null);
            if (error != null) {
                mine.completeExceptionally(error);
            } else {
                mine.complete(table);
            }
        });
        return mine;
    }
}
