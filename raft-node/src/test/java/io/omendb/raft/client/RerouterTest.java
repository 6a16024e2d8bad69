package io.omendb.raft.client;

import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Rerouter} on a virtual clock: refresh and resend after range refusals, within the caller's deadline. */
class RerouterTest {
    /** The router's default {@code max_query_duration_ms}. */
    private static final long DEADLINE_MS = 5_000;

    private static final RangeTable TABLE = new RangeTable(List.of(new RangeDescriptor(1, new byte[0], null,
            new UUID(0, 1), List.of("n1"), 1)));
    private static final ClientException MOVED = ClientException.rangeMoved("group g", new RangeRefusal(
            RangeRefusal.Reason.STALE_EPOCH, new RangeBounds(1, new byte[0], null, 2)));

    private final FakeClientTime time = new FakeClientTime();
    private final AtomicInteger refreshes = new AtomicInteger();
    /** How long a refresh takes (0: answered at once; negative: never answered). */
    private long refreshMs;
    private final Rerouter rerouter = new Rerouter(() -> {
        refreshes.incrementAndGet();
        if (refreshMs < 0) {
            return new CompletableFuture<>();
        }
        return refreshMs == 0 ? CompletableFuture.completedFuture(TABLE) : time.after(refreshMs).thenApply(v -> TABLE);
    }, time);

    /** Attempts of the request under test. */
    private final AtomicInteger attempts = new AtomicInteger();

    private Deadline deadline() {
        return Deadline.in(time, DEADLINE_MS);
    }

    /** Runs a request failing with {@code error} at every attempt, until the rerouter gives up: its failure. */
    private Throwable failureOfRequestFailingWith(Throwable error, Deadline deadline) {
        CompletableFuture<String> f = rerouter.run(() -> {
            attempts.incrementAndGet();
            return CompletableFuture.failedFuture(error);
        }, deadline);
        time.runAll(100);
        return assertThrows(ExecutionException.class, f::get).getCause();
    }

    @Test
    void aRefusedRequestIsSentAgainAfterARefresh() throws Exception {
        CompletableFuture<String> f = rerouter.run(() -> attempts.incrementAndGet() < 3
                ? CompletableFuture.failedFuture(MOVED) : CompletableFuture.completedFuture("ok"), deadline());
        time.runAll(100);
        assertEquals("ok", f.get());
        assertEquals(3, attempts.get());
        assertEquals(2, refreshes.get());
        assertEquals(2, rerouter.reroutes());
        assertEquals(Rerouter.SLEEP_MS, time.nowMs(), "the first re-route refreshes at once, the second after a sleep");
    }

    @Test
    void otherFailuresAreNotRetried() {
        ClientException unavailable = new ClientException(ErrorCode.UNAVAILABLE, "x");
        assertEquals(unavailable, failureOfRequestFailingWith(unavailable, deadline()));
        assertEquals(1, attempts.get());
        assertEquals(0, rerouter.reroutes());
    }

    /**
     * Attempts answered at once: sent at 0, 0, 20, 60, 140, 300, 620, 1,020 ms, then every 400 ms until 4,220 ms; the
     * next would start at 4,620 ms, past the deadline less the margin (4,500 ms).
     */
    @Test
    void aRangeThatKeepsRefusingFailsWithRangeMovedAfterTheBudget() {
        Throwable refusal = failureOfRequestFailingWith(MOVED, deadline());
        assertEquals(ErrorCode.RANGE_MOVED, assertInstanceOf(ClientException.class, refusal).code());
        assertEquals(16, attempts.get());
        assertEquals(4_220, time.nowMs(), "refused when the last attempt that fits was refused");
        assertTrue(time.nowMs() < 5_000, "the budget fits the HTTP deadline: " + time.nowMs() + " ms");
    }

    @Test
    void aRequestRefusedUntilJustBeforeItsDeadlineSucceeds() throws Exception {
        CompletableFuture<String> f = rerouter.run(() -> {
            attempts.incrementAndGet();
            return time.nowMs() < 4_220 ? CompletableFuture.failedFuture(MOVED)
                    : CompletableFuture.completedFuture("ok");
        }, deadline());
        time.runAll(100);
        assertEquals("ok", f.get());
        assertEquals(16, attempts.get(), "the last attempt that fits the deadline is sent");
        assertEquals(15, rerouter.reroutes());
    }

    /**
     * Attempts taking 300 ms and refreshes 200 ms: the request is re-routed only while another refresh and attempt of
     * that length still end before the deadline less the margin, then refused (503 at the HTTP layer) before the
     * deadline, not left to time out.
     */
    @Test
    void slowAttemptsAndRefreshesAreRefusedBeforeTheDeadline() {
        refreshMs = 200;
        long attemptMs = 300;
        CompletableFuture<String> f = rerouter.run(() -> {
            attempts.incrementAndGet();
            return time.after(attemptMs).thenCompose(v -> CompletableFuture.<String>failedFuture(MOVED));
        }, deadline());
        time.runAll(100);
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertEquals(ErrorCode.RANGE_MOVED, assertInstanceOf(ClientException.class, e.getCause()).code());
        assertTrue(time.nowMs() <= DEADLINE_MS - Rerouter.DEADLINE_MARGIN_MS, "answered at " + time.nowMs() + " ms");
        assertTrue(time.nowMs() + refreshMs + attemptMs + Rerouter.SLEEP_MAX_MS
                > DEADLINE_MS - Rerouter.DEADLINE_MARGIN_MS, "no room was left for another re-route: " + time.nowMs());
        assertTrue(attempts.get() > 1, "re-routed while there was time: " + attempts.get());
    }

    @Test
    void aRefreshThatNeverAnswersEndsInTheRefusalBeforeTheDeadline() {
        refreshMs = -1;
        assertEquals(MOVED, failureOfRequestFailingWith(MOVED, deadline()), "the refusal, not the refresh's timeout");
        assertEquals(2, attempts.get(), "sent once more, by the table it has, when the refresh wait ended");
        assertEquals(DEADLINE_MS - Rerouter.DEADLINE_MARGIN_MS, time.nowMs(), "waited for the refresh while it could");
    }

    @Test
    void aDeadlineWithNoRoomLeftAnswersTheFirstRefusal() {
        assertEquals(MOVED, failureOfRequestFailingWith(MOVED, Deadline.in(time, Rerouter.DEADLINE_MARGIN_MS - 1)));
        assertEquals(1, attempts.get());
        assertEquals(0, refreshes.get());
        assertEquals(0, time.nowMs());
    }
}
