package io.omendb.raft.client;

import io.omendb.raft.meta.RangeTable;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Makes a replica's range refusal (RANGE_MOVED: the request was routed by an out-of-date range table) invisible to
 * callers: it refreshes the range table from the meta group and runs the request again, routed afresh, for as long as
 * the caller's {@link Deadline} leaves time for another attempt. Safe because a refused request changed nothing (a
 * write refused at apply is refused on every replica).
 *
 * <p><b>Waiting for the table.</b> A split commits in the range's own log before the meta group's table shows it, so a
 * refresh right after a refusal may return the old table; from the second refusal of a request on, the refresh
 * waits {@value #SLEEP_MS} ms doubling up to {@value #SLEEP_MAX_MS} ms first. A range frozen for a merge refuses
 * requests until the merge commits (about 1 s for 8 MiB under load here, sometimes more).
 *
 * <p><b>The budget is the caller's deadline.</b> After a refusal the request is sent again only if, after the sleep,
 * the time left before the deadline still holds the longest refresh and the longest attempt this request has had so
 * far plus {@value #DEADLINE_MARGIN_MS} ms (for the answer to reach the caller, and for the caller's own deadline,
 * started a little earlier than the one it passed here); it is checked again after the refresh, which may have been
 * slow (the wait for it is cut at the last moment an attempt still fits). Otherwise the request fails with the
 * refusal, RANGE_MOVED, which the HTTP layer answers 503: it certainly did not commit. So a refused request is
 * re-routed for most of its deadline (about 4.2 s of the router's 5 s when attempts are answered at once) and is not
 * turned into a timeout of unknown outcome, unless its last attempt takes more than the margin longer than any
 * before it (the same as a first attempt that is slow).
 * Why not a fixed count: 8 attempts (1,020 ms of sleeps) answered 503 to writes for a range frozen longer than
 * about 1 s although most of the deadline was left, and 16 attempts (4.2 s of sleeps, plus the meta reads and attempts)
 * outlasted the 5-s HTTP deadline and turned refusals into 504s of unknown outcome (261 in a chaos run instead of about
 * 100), and the linearizability checker could not decide one key's history. The deadline bounds the retries: each
 * takes at least {@value #SLEEP_MS} ms once past the first.
 *
 * <p>Concurrent refusals share one refresh in flight, so a split does not make every waiting request read the meta
 * group. Thread-safe; sleeps and reads the time on the injected {@link ClientTime}.
 */
final class Rerouter {
    static final long SLEEP_MS = 20;
    static final long SLEEP_MAX_MS = 400;
    /** Left free before the caller's deadline beyond the expected end of the last attempt. */
    static final long DEADLINE_MARGIN_MS = 500;

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

    /**
     * Runs {@code attempt} (which routes by the cached table each time), re-routing after range refusals while
     * {@code deadline} leaves time for another attempt; then fails with the last refusal.
     */
    <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> attempt, Deadline deadline) {
        return run(attempt, new Budget(deadline), 0);
    }

    private <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> attempt, Budget budget, long sleepMs) {
        long startNanos = time.nanoTime();
        return attempt.get().handle((value, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(value);
            }
            Throwable t = Failures.unwrap(error);
            if (!(t instanceof ClientException ce) || ce.code() != ErrorCode.RANGE_MOVED) {
                return CompletableFuture.<T>failedFuture(t);
            }
            budget.attemptTook(time.nanoTime() - startNanos);
            if (!budget.allowsRerouteAfter(time.nanoTime(), sleepMs)) {
                return CompletableFuture.<T>failedFuture(t);
            }
            reroutes.increment();
            long nextSleepMs = sleepMs == 0 ? SLEEP_MS : Math.min(2 * sleepMs, SLEEP_MAX_MS);
            return time.after(sleepMs).thenCompose(v -> refreshWithin(budget))
                    .handle((table, refreshError) -> budget.allowsAttemptAt(time.nanoTime())
                            ? run(attempt, budget, nextSleepMs) : CompletableFuture.<T>failedFuture(t))
                    .thenCompose(Function.identity());
        }).thenCompose(Function.identity());
    }

    /** The shared refresh, waited for only until the last moment another attempt could start. */
    private CompletableFuture<RangeTable> refreshWithin(Budget budget) {
        long startNanos = time.nanoTime();
        long waitMs = Math.max(0, TimeUnit.NANOSECONDS.toMillis(budget.lastAttemptStartNanos() - startNanos));
        return time.orTimeout(sharedRefresh().copy(), waitMs)
                .whenComplete((table, error) -> budget.refreshTook(time.nanoTime() - startNanos));
    }

    /**
     * One request's re-route budget: its deadline less the margin, and the longest attempt and refresh it has had.
     * Used by one request's attempts, which run one after another (each handed over by a future's completion, which
     * orders the writes before the reads).
     */
    private static final class Budget {
        private final long usableUntilNanos;
        private long attemptNanosMax;
        private long refreshNanosMax;

        Budget(Deadline deadline) {
            this.usableUntilNanos = deadline.atNanos() - TimeUnit.MILLISECONDS.toNanos(DEADLINE_MARGIN_MS);
        }

        void attemptTook(long nanos) {
            attemptNanosMax = Math.max(attemptNanosMax, nanos);
        }

        void refreshTook(long nanos) {
            refreshNanosMax = Math.max(refreshNanosMax, nanos);
        }

        /** The last moment an attempt may start and still be answered (taking as long as the longest so far). */
        long lastAttemptStartNanos() {
            return usableUntilNanos - attemptNanosMax;
        }

        /** Whether a sleep of {@code sleepMs} from {@code nowNanos}, a refresh and an attempt fit. */
        boolean allowsRerouteAfter(long nowNanos, long sleepMs) {
            return nowNanos + TimeUnit.MILLISECONDS.toNanos(sleepMs) + refreshNanosMax <= lastAttemptStartNanos();
        }

        boolean allowsAttemptAt(long nowNanos) {
            return nowNanos <= lastAttemptStartNanos();
        }
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
