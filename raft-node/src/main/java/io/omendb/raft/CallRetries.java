package io.omendb.raft;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A call to the meta group tried again until it answers, for a node's start-up tasks that cannot go on without the
 * answer ({@link Rejoin}, {@link MemberRegistration}): each try waits at most {@code callWaitMs} for its answer; a try
 * that failed or timed out is handed to the caller's {@link Failed} (which may end the loop by throwing) and followed by
 * a sleep of {@code retrySleepMs}; before each try {@code goOn} says whether to try at all (the caller's deadline, or
 * its node not closing). So the loop is bounded by the caller's {@code goOn} and by interruption.
 *
 * <p>Blocks the calling thread; stateless.
 */
final class CallRetries {
    private CallRetries() {
    }

    /** What the caller does with a try that failed ({@link ExecutionException}) or timed out; may throw to stop. */
    @FunctionalInterface
    interface Failed<X extends Exception> {
        void handle(Exception e) throws X;
    }

    /**
     * The answer of {@code call}, tried as the class note says; empty when {@code goOn} said stop before a try.
     *
     * @throws X                    when {@code failed} threw it
     * @throws InterruptedException when the thread was interrupted while waiting or sleeping
     */
    static <T, X extends Exception> Optional<T> untilAnswered(Supplier<CompletableFuture<T>> call, long callWaitMs,
                                                              long retrySleepMs, BooleanSupplier goOn,
                                                              Failed<X> failed) throws X, InterruptedException {
        while (goOn.getAsBoolean()) {
            try {
                return Optional.of(call.get().get(callWaitMs, TimeUnit.MILLISECONDS));
            } catch (ExecutionException | TimeoutException e) {
                failed.handle(e);
            }
            Thread.sleep(retrySleepMs);
        }
        return Optional.empty();
    }
}
