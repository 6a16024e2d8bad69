package io.omendb.raft.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The client path's clock and delayed execution: every wait in it (group commit's linger, {@link LeaderPath}'s
 * resend sleeps and in-process attempt timeouts, {@link ReadPath}'s retry window) reads this clock and runs on this
 * timer, never on {@code System.nanoTime} or the JDK's delayer directly, so a test or a simulation drives it all on a
 * virtual clock: no real time passes and a run replays exactly.
 *
 * <p>Production uses {@link #onThreadOf} (tasks run on the timer's own thread: for tasks that only hand work on, like
 * a linger ending) and {@link #handingTo} (the timer only wakes a task up and another executor runs it: for resends,
 * which may call into Ratis or close a client).
 */
public interface ClientTime {
    /** Monotonic time in nanoseconds (only differences mean anything). */
    long nanoTime();

    /**
     * Runs {@code task} once {@code delayUs} have passed.
     *
     * @return cancels the task if it has not started yet
     * @throws RejectedExecutionException when the timer is shut down (its client is closing)
     */
    Cancellable schedule(Runnable task, long delayUs);

    /** A scheduled task that may still be called off. */
    interface Cancellable {
        void cancel();
    }

    /** A future completed {@code delayMs} from now (failed at once when the timer is shut down). */
    default CompletableFuture<Void> after(long delayMs) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            schedule(() -> done.complete(null), TimeUnit.MILLISECONDS.toMicros(delayMs));
        } catch (RejectedExecutionException closing) {
            done.completeExceptionally(closing);
        }
        return done;
    }

    /**
     * Fails {@code f} with a {@link TimeoutException} unless it completes within {@code timeoutMs}, like
     * {@link CompletableFuture#orTimeout}, on this clock; the timer task is cancelled when {@code f} completes first.
     * A shut-down timer sets no timeout.
     */
    default <T> CompletableFuture<T> orTimeout(CompletableFuture<T> f, long timeoutMs) {
        if (f.isDone()) {
            return f;
        }
        Cancellable timeout;
        try {
            timeout = schedule(() -> f.completeExceptionally(new TimeoutException("no answer within " + timeoutMs
                    + " ms")), TimeUnit.MILLISECONDS.toMicros(timeoutMs));
        } catch (RejectedExecutionException closing) {
            return f; // the client is closing: what was handed over still answers, as its server closes too
        }
        f.whenComplete((answer, error) -> timeout.cancel());
        return f;
    }

    /** System time; tasks run on {@code timer}'s thread (they must only hand work on). */
    static ClientTime onThreadOf(ScheduledExecutorService timer) {
        return handingTo(timer, Runnable::run);
    }

    /** System time; {@code timer} only wakes tasks up and {@code runner} runs them. */
    static ClientTime handingTo(ScheduledExecutorService timer, Executor runner) {
        return new ClientTime() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public Cancellable schedule(Runnable task, long delayUs) {
                ScheduledFuture<?> f = timer.schedule(() -> runner.execute(task), delayUs, TimeUnit.MICROSECONDS);
                return () -> f.cancel(false);
            }
        };
    }
}
