package io.omendb.raft;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link CallRetries}: tried again after failures, stopped by the caller's condition or its failure handler. */
class CallRetriesTest {
    private static final long CALL_WAIT_MS = 10_000;
    private static final long NO_SLEEP_MS = 0;

    @Test
    void failedTriesAreHandedToTheCallerAndTriedAgainUntilOneAnswers() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        List<Exception> failures = new ArrayList<>();
        Optional<String> answer = CallRetries.untilAnswered(() -> tries.incrementAndGet() < 3
                        ? CompletableFuture.failedFuture(new IllegalStateException("no leader"))
                        : CompletableFuture.completedFuture("ok"), CALL_WAIT_MS, NO_SLEEP_MS, () -> true,
                failures::add);
        assertEquals(Optional.of("ok"), answer);
        assertEquals(3, tries.get());
        assertEquals(2, failures.size());
        failures.forEach(f -> assertInstanceOf(ExecutionException.class, f));
    }

    @Test
    void nothingIsTriedOnceTheCallerSaysStop() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        AtomicInteger asked = new AtomicInteger();
        Optional<String> answer = CallRetries.untilAnswered(() -> {
            tries.incrementAndGet();
            return CompletableFuture.failedFuture(new IllegalStateException("no leader"));
        }, CALL_WAIT_MS, NO_SLEEP_MS, () -> asked.incrementAndGet() <= 2, e -> { });
        assertEquals(Optional.empty(), answer);
        assertEquals(2, tries.get(), "a try each time the caller said go on");
    }

    @Test
    void aFailureTheCallerThrowsOnEndsTheLoop() {
        AtomicInteger tries = new AtomicInteger();
        IOException definite = new IOException("id taken");
        IOException thrown = assertThrows(IOException.class, () -> CallRetries.untilAnswered(() -> {
            tries.incrementAndGet();
            return CompletableFuture.failedFuture(new IllegalArgumentException("id taken"));
        }, CALL_WAIT_MS, NO_SLEEP_MS, () -> true, e -> {
            throw definite;
        }));
        assertSame(definite, thrown);
        assertEquals(1, tries.get());
    }
}
