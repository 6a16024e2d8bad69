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

/** {@link Rerouter} on a virtual clock: refresh and resend after range refusals, within a bounded budget. */
class RerouterTest {
    private static final RangeTable TABLE = new RangeTable(List.of(new RangeDescriptor(1, new byte[0], null,
            new UUID(0, 1), List.of("n1"), 1)));
    private static final ClientException MOVED = ClientException.rangeMoved("group g", new RangeRefusal(
            RangeRefusal.Reason.STALE_EPOCH, new RangeBounds(1, new byte[0], null, 2)));

    private final FakeClientTime time = new FakeClientTime();
    private final AtomicInteger refreshes = new AtomicInteger();
    private final Rerouter rerouter = new Rerouter(() -> {
        refreshes.incrementAndGet();
        return CompletableFuture.completedFuture(TABLE);
    }, time);

    @Test
    void aRefusedRequestIsSentAgainAfterARefresh() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<String> f = rerouter.run(() -> attempts.incrementAndGet() < 3
                ? CompletableFuture.failedFuture(MOVED) : CompletableFuture.completedFuture("ok"));
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
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<String> f = rerouter.run(() -> {
            attempts.incrementAndGet();
            return CompletableFuture.failedFuture(unavailable);
        });
        time.runAll(100);
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertEquals(unavailable, e.getCause());
        assertEquals(1, attempts.get());
        assertEquals(0, rerouter.reroutes());
    }

    @Test
    void aRangeThatKeepsRefusingFailsWithRangeMovedAfterTheBudget() {
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<String> f = rerouter.run(() -> {
            attempts.incrementAndGet();
            return CompletableFuture.failedFuture(MOVED);
        });
        time.runAll(100);
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertEquals(ErrorCode.RANGE_MOVED, assertInstanceOf(ClientException.class, e.getCause()).code());
        assertEquals(Rerouter.ATTEMPTS_MAX, attempts.get());
        assertTrue(time.nowMs() < 5_000, "the budget fits the HTTP deadline: " + time.nowMs() + " ms");
    }
}
