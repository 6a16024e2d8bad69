package io.omendb.raft.client;

import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.junit.jupiter.api.Test;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ReplaceableClient} with fake clients: a client that answers AlreadyClosed, or GroupMismatch (a peer without
 * the group), is replaced, once, by a client of the next generation (which starts at another peer).
 */
class ReplaceableClientTest {
    /** A client whose window to its target closed after {@code closedAfterCalls} calls. */
    private static final class FakeClient implements Closeable {
        final int id;
        final int generation;
        final int closedAfterCalls;
        int calls;
        boolean closed;

        FakeClient(int id, int generation, int closedAfterCalls) {
            this.id = id;
            this.generation = generation;
            this.closedAfterCalls = closedAfterCalls;
        }

        CompletableFuture<String> call() {
            calls++;
            return calls > closedAfterCalls
                    ? CompletableFuture.failedFuture(new AlreadyClosedException("client->n1 is closed."))
                    : CompletableFuture.completedFuture("answer of client " + id);
        }

        /** What a peer that does not host the group answers, unless this client starts at another one. */
        CompletableFuture<String> callStartingAtAPeerWithoutTheGroup() {
            calls++;
            return generation == 0
                    ? CompletableFuture.failedFuture(new GroupMismatchException("n1: group-1 not found."))
                    : CompletableFuture.completedFuture("answer of client " + id);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private final List<FakeClient> made = new ArrayList<>();

    /** The first client's window closes after one call; later clients' never do. */
    private ReplaceableClient<FakeClient> holder() {
        return new ReplaceableClient<>(generation -> {
            FakeClient c = new FakeClient(made.size(), generation, made.isEmpty() ? 1 : Integer.MAX_VALUE);
            made.add(c);
            return c;
        });
    }

    @Test
    void aLeaderCallThatMetAClosedWindowFailsButTheNextCallGoesThroughAFreshClient() {
        ReplaceableClient<FakeClient> h = holder();
        assertEquals("answer of client 0", h.callOnce(FakeClient::call).join());
        CompletionException e = assertThrows(CompletionException.class, () -> h.callOnce(FakeClient::call).join());
        assertInstanceOf(AlreadyClosedException.class, e.getCause(), "not repeated: a write might run twice");
        assertEquals(2, made.size());
        assertTrue(made.get(0).closed, "the closed client is closed for good");
        assertSame(made.get(1), h.get());
        assertEquals("answer of client 1", h.callOnce(FakeClient::call).join());
    }

    @Test
    void aReadThatMetAClosedWindowIsRepeatedOnceOnAFreshClient() {
        ReplaceableClient<FakeClient> h = holder();
        h.callRepeatingIfClosed(FakeClient::call).join();
        assertEquals("answer of client 1", h.callRepeatingIfClosed(FakeClient::call).join());
        assertEquals(2, made.size());
        assertEquals(1, made.get(1).calls);
        assertFalse(made.get(1).closed);
    }

    @Test
    void ofTwoCallersThatSawTheSameClientCloseOnlyOneReplacesIt() {
        ReplaceableClient<FakeClient> h = holder();
        CompletableFuture<String> inFlightA = new CompletableFuture<>();
        CompletableFuture<String> inFlightB = new CompletableFuture<>();
        CompletableFuture<String> a = h.callOnce(c -> inFlightA);
        CompletableFuture<String> b = h.callOnce(c -> inFlightB);
        inFlightA.completeExceptionally(new AlreadyClosedException("client->n1 is closed."));
        inFlightB.completeExceptionally(new AlreadyClosedException("client->n1 is closed."));
        assertTrue(a.isCompletedExceptionally() && b.isCompletedExceptionally());
        assertEquals(3, made.size(), "each made a fresh client");
        assertSame(made.get(1), h.get(), "the first replacement stays");
        assertTrue(made.get(0).closed && made.get(2).closed, "the closed one and the loser's fresh one are closed");
        assertFalse(made.get(1).closed);
    }

    @Test
    void aPeerWithoutTheGroupGetsTheClientReplacedByOneOfTheNextGeneration() {
        ReplaceableClient<FakeClient> h = holder();
        CompletionException e = assertThrows(CompletionException.class,
                () -> h.callOnce(FakeClient::callStartingAtAPeerWithoutTheGroup).join());
        assertInstanceOf(GroupMismatchException.class, e.getCause());
        assertEquals(2, made.size(), "replaced: Ratis never asks another peer after a group mismatch");
        assertEquals(1, made.get(1).generation, "the fresh client starts at the next peer");
        assertEquals("answer of client 1", h.callOnce(FakeClient::callStartingAtAPeerWithoutTheGroup).join());
        ReplaceableClient<FakeClient> reads = new ReplaceableClient<>(g -> new FakeClient(g, g, Integer.MAX_VALUE));
        assertEquals("answer of client 1", reads.callRepeatingIfClosed(FakeClient::callStartingAtAPeerWithoutTheGroup)
                .join(), "a read is repeated once on the fresh client");
    }
}
