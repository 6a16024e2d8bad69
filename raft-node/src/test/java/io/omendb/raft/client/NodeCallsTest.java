package io.omendb.raft.client;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NodeCalls} with fake node clients and a virtual clock: calls to a node that never answers do not delay a
 * probe of a live node, fail UNAVAILABLE once their bound passed (and only then), and the ones still queued then are
 * dropped without asking the node.
 */
class NodeCallsTest {
    static final long CALL_TIMEOUT_MS = 10_000;
    /** Far above what a call on an idle lane takes; a bound on waiting, never reached when the test passes. */
    static final long WAIT_S = 60;

    /** A node's client: "dead" blocks every call until {@link #silence} is released, any other node answers. */
    private final class FakeNode implements Closeable {
        final String id;

        FakeNode(String id) {
            this.id = id;
        }

        String groups() throws InterruptedException {
            calls.incrementAndGet();
            if (id.equals("dead")) {
                silence.await();
            }
            return "groups of " + id;
        }

        @Override
        public void close() {
        }
    }

    private final CountDownLatch silence = new CountDownLatch(1);
    private final AtomicInteger calls = new AtomicInteger();
    private final FakeClientTime time = new FakeClientTime();
    private final NodeCalls<FakeNode> nodeCalls = new NodeCalls<>(FakeNode::new, time, CALL_TIMEOUT_MS);

    @AfterEach
    void close() {
        silence.countDown();
        nodeCalls.close();
    }

    private static NodeCalls.Call<FakeNode, String> listGroups() {
        return node -> {
            try {
                return node.groups();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        };
    }

    @Test
    void callsToADeadNodeNeitherDelayAProbeOfALiveNodeNorOutliveTheirBound() throws Exception {
        // more calls than the shared admin pool had threads, probes and changes both
        List<CompletableFuture<String>> toDead = new ArrayList<>();
        for (int i = 0; i < ClientThreads.ADMIN_THREADS + 2; i++) {
            toDead.add(nodeCalls.probe("dead", listGroups()));
            toDead.add(nodeCalls.change("dead", listGroups()));
        }

        assertEquals("groups of live", nodeCalls.probe("live", listGroups()).get(WAIT_S, TimeUnit.SECONDS));
        assertEquals("groups of live", nodeCalls.change("live", listGroups()).get(WAIT_S, TimeUnit.SECONDS));
        toDead.forEach(f -> assertFalse(f.isDone(), "a call to the dead node answered before its bound"));

        time.advanceMs(CALL_TIMEOUT_MS - 1);
        toDead.forEach(f -> assertFalse(f.isDone(), "a call to the dead node failed before its bound"));
        time.advanceMs(1);
        for (CompletableFuture<String> f : toDead) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
            ClientException ce = assertInstanceOf(ClientException.class, e.getCause());
            assertEquals(ErrorCode.UNAVAILABLE, ce.code());
            assertTrue(ce.getMessage().contains("did not answer within " + CALL_TIMEOUT_MS + " ms"), ce.getMessage());
        }
    }

    @Test
    void callsQueuedPastTheirBoundAreDroppedWithoutAskingTheNode() throws Exception {
        List<CompletableFuture<String>> queued = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            queued.add(nodeCalls.probe("dead", listGroups()));
        }
        awaitCalls(1); // the first call is in progress: the node was asked
        time.advanceMs(CALL_TIMEOUT_MS);
        queued.forEach(f -> assertTrue(f.isCompletedExceptionally()));

        silence.countDown(); // the node answers the one call it was asked, too late
        CompletableFuture<String> next = nodeCalls.probe("dead", listGroups());
        assertEquals("groups of dead", next.get(WAIT_S, TimeUnit.SECONDS));
        assertEquals(2, calls.get(), "the lane asked the node only the call in progress and the new one");
    }

    private void awaitCalls(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (calls.get() < n) {
            assertTrue(System.nanoTime() < deadline, "the lane never started the call");
            Thread.sleep(1);
        }
    }

    @Test
    void aClosedClientRefusesCalls() {
        nodeCalls.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> nodeCalls.probe("live", listGroups())
                .get(WAIT_S, TimeUnit.SECONDS));
        assertEquals(ErrorCode.UNAVAILABLE, ((ClientException) e.getCause()).code());
    }
}
