package io.omendb.raft.client;

import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * A client that is replaced by a fresh one once it answers {@link AlreadyClosedException} or
 * {@link GroupMismatchException}. Ratis closes a client's ordered window to a target for good once one request through
 * it failed for good (its retries exhausted): every later request then fails at once with AlreadyClosedException, even
 * when the target is back. Without a replacement, one write that outlived its retries during an election storm left
 * its router unable to write to the range at all. A peer that answers that it does not host the group (a wiped node
 * not re-admitted yet, a replica moved off) fails the window the same way, and Ratis never asks another peer: a fresh
 * client that started at that peer again would fail again, for as long as the peer lacks the group.
 *
 * <p>So each client is made with its <em>generation</em> (0 for the first, one more per replacement), and the factory
 * starts generation {@code g} at a different peer ({@link RatisGroupClients}: the group's peer {@code g mod n}); a
 * group whose first-listed peer lost its replica is reached through the next.
 *
 * <p>Invariant: {@link #get} always returns an open client unless {@link #close} ran; of two callers that saw the
 * same client close, only one replaces it (compare-and-set) and the loser's fresh client is closed at once.
 * Thread-safe.
 *
 * @param <C> the client type (a Ratis client in production, a fake in tests)
 */
final class ReplaceableClient<C extends Closeable> implements Closeable {
    private final IntFunction<C> factory;
    private final AtomicReference<C> current = new AtomicReference<>();
    private final AtomicInteger generations = new AtomicInteger();

    /** @param factory makes a fresh client of the generation given (called now with 0, and at each replacement) */
    ReplaceableClient(IntFunction<C> factory) {
        this.factory = factory;
        current.set(factory.apply(generations.getAndIncrement()));
    }

    C get() {
        return current.get();
    }

    /**
     * Runs {@code call} once. When it fails with AlreadyClosedException (or GroupMismatchException, see the class note)
     * the client is replaced for later calls, but this call is not repeated: a request failed by a closing window may
     * already have been sent, and a write must not be sent twice.
     */
    <T> CompletableFuture<T> callOnce(Function<C, CompletableFuture<T>> call) {
        C used = current.get();
        return call.apply(used).whenComplete((answer, error) -> {
            if (error != null && closesTheWindow(error)) {
                replace(used);
            }
        });
    }

    /**
     * Runs {@code call}; when it fails with AlreadyClosedException or GroupMismatchException, replaces the client and
     * runs it once more on the fresh one (for reads only: repeating one changes nothing). Failures are unwrapped.
     */
    <T> CompletableFuture<T> callRepeatingIfClosed(Function<C, CompletableFuture<T>> call) {
        C used = current.get();
        return call.apply(used).handle((answer, error) -> {
            if (error != null && closesTheWindow(error)) {
                replace(used);
                return call.apply(current.get());
            }
            return error == null ? CompletableFuture.completedFuture(answer)
                    : CompletableFuture.<T>failedFuture(Failures.unwrap(error));
        }).thenCompose(Function.identity());
    }

    private static boolean closesTheWindow(Throwable error) {
        Throwable cause = Failures.unwrap(error);
        return cause instanceof AlreadyClosedException || cause instanceof GroupMismatchException;
    }

    /** Swaps {@code used} for a fresh client unless another caller already did; closes the loser. */
    private void replace(C used) {
        C fresh = factory.apply(generations.getAndIncrement());
        closeQuietly(current.compareAndSet(used, fresh) ? used : fresh);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // a client being replaced; its failure to close changes nothing
        }
    }

    @Override
    public void close() throws IOException {
        current.get().close();
    }
}
