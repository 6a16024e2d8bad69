package io.omendb.raft;

import io.omendb.raft.command.ForwardedWrites;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.LocalRaftServer;
import io.omendb.raft.client.ReadOptions;
import io.omendb.raft.meta.RangeDescriptor;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.omendb.raft.TestClusters.assertLinearizable;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static io.omendb.raft.TestClusters.put;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client inside node n1 ({@link ClientOptions#withLocalServer}): requests of a range n1 leads go to n1's Raft
 * server in-process, and writes in flight while leadership moves away (and back) all succeed once and are all
 * there afterwards, read by a client without the local path.
 */
class LocalLeaderPathClusterTest {
    @TempDir
    Path dir;

    /** n1's server, counting what it was handed in-process, by request type. */
    private static final class CountingServer implements LocalRaftServer {
        final LocalRaftServer inner;
        final Map<TypeCase, AtomicInteger> submitted = new ConcurrentHashMap<>();
        final Set<String> submittingThreads = ConcurrentHashMap.newKeySet();

        CountingServer(LocalRaftServer inner) {
            this.inner = inner;
        }

        int count(TypeCase type) {
            return submitted.getOrDefault(type, new AtomicInteger()).get();
        }

        @Override
        public RaftPeerId peerId() {
            return inner.peerId();
        }

        @Override
        public boolean leads(RaftGroupId group) {
            return inner.leads(group);
        }

        @Override
        public CompletableFuture<RaftClientReply> submit(RaftClientRequest request) {
            submitted.computeIfAbsent(request.getType().getTypeCase(), t -> new AtomicInteger()).incrementAndGet();
            submittingThreads.add(Thread.currentThread().getName());
            return inner.submit(request);
        }

        @Override
        public void acceptForwards(ForwardedWrites writes) {
            inner.acceptForwards(writes);
        }
    }

    /**
     * Moves leadership of {@code rangeId} to {@code target}. A transfer can lose to an election on a loaded machine
     * (DIFFERENT_LEADER): it is asked again until {@code target} leads, bounded.
     */
    private static void lead(ClusterClient client, long rangeId, String target) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TestClusters.CALL_TIMEOUT_S);
        while (true) {
            try {
                await(client.admin().transferLeader(rangeId, target));
            } catch (ExecutionException lostToAnElection) {
                if (System.nanoTime() > deadline) {
                    throw lostToAnElection;
                }
            }
            if (target.equals(await(client.admin().rangeStatus(rangeId)).leaderId())) {
                return;
            }
            Thread.sleep(200);
        }
    }

    /** The range of key "a", once n1 leads it and n1's server reports so. */
    private static RangeDescriptor rangeLedLocally(ClusterClient inside, ClusterClient outside, CountingServer n1)
            throws Exception {
        RangeDescriptor range = inside.awaitRangeTable(Duration.ofSeconds(60)).rangeForKey(b("a"));
        outside.awaitRangeTable(Duration.ofSeconds(60));
        lead(outside, range.rangeId(), "n1");
        // n1's server learns its divisions in the background (LocalDivisions never blocks a caller)
        RaftGroupId group = RaftGroupId.valueOf(range.groupId());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TestClusters.CALL_TIMEOUT_S);
        while (!n1.leads(group)) {
            assertTrue(System.nanoTime() < deadline, "n1 never reported leading " + group);
            Thread.sleep(50);
        }
        return range;
    }

    /** What a test does with a cluster whose range of key "a" n1 leads, and a client inside n1. */
    private interface RangeLedByN1 {
        void run(LocalCluster cluster, ClusterClient outside, ClusterClient inside, CountingServer n1,
                 RangeDescriptor range) throws Exception;
    }

    /** Starts three nodes, a client outside and one inside n1 (through a counting n1 server), and moves the range. */
    private void withRangeLedByN1(RangeLedByN1 test) throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template(""));
             ClusterClient outside = cluster.newClient(null)) {
            TestClusters.awaitSeedersDone(); // their meta writes would be counted by the router inside n1
            CountingServer n1 = new CountingServer(cluster.node("n1").localServer());
            try (ClusterClient inside = ClusterClient.connect(ClientOptions.from(cluster.configOf("n1"))
                    .withLocalServer(n1))) {
                test.run(cluster, outside, inside, n1, rangeLedLocally(inside, outside, n1));
            }
        }
    }

    /**
     * Concurrent gets and puts of one locally led range queue in the router's coalescers, so each completion hands the
     * next queued request to n1's server. Those hand-overs must never run on a Ratis thread: a get chained on the state
     * machine updater once deadlocked the range (docs/ARCHITECTURE.md, "Read path"). Every operation must finish.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void inProcessHandOversNeverRunOnRatisThreadsUnderConcurrentReadsAndWrites() throws Exception {
        withRangeLedByN1((cluster, outside, inside, n1, range) -> {
            int threads = 8;
            int opsPerThread = 150;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    workers.add(pool.submit(() -> {
                        for (int i = 0; i < opsPerThread; i++) {
                            String key = "a-" + id + "-" + i;
                            if (id % 2 == 0) {
                                put(inside, key, "v" + i);
                            } else {
                                await(inside.get(b("a-" + (id - 1) + "-" + i), ReadOptions.linearizable()));
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> w : workers) {
                    w.get(TestClusters.CALL_TIMEOUT_S * 2L, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(n1.count(TypeCase.READ) > 0 && n1.count(TypeCase.WRITE) > 0, "in-process: " + n1.submitted);
            for (String name : n1.submittingThreads) {
                assertFalse(name.contains("StateMachineUpdater") || name.contains("client-thread")
                        || name.contains("server-thread") || name.contains("grpc"),
                        "a request was handed to n1's server on Ratis thread " + name + " (all: "
                                + n1.submittingThreads + ")");
            }
        });
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void requestsOfALocallyLedRangeStayInProcessAndWritesSurviveLeadershipMovingAway() throws Exception {
        withRangeLedByN1((cluster, outside, inside, n1, range) -> {
            for (int i = 0; i < 20; i++) {
                put(inside, "local-" + i, "v" + i);
                assertLinearizable(inside, "local-" + i, "v" + i);
            }
            assertTrue(n1.count(TypeCase.WRITE) >= 20, "writes handed over in-process: " + n1.submitted);
            assertTrue(n1.count(TypeCase.READ) >= 20, "reads handed over in-process: " + n1.submitted);

            // a writer keeps writing through n1's router while leadership goes n1 -> n2 -> n1 -> n3
            assertEveryWriteSurvivesLeadershipMoving(inside, outside, range, List.of("n2", "n1", "n3"));
        });
    }

    /**
     * Leader-side group commit: the router inside n2 forwards its writes of the range n1 leads to n1, whose router
     * proposes them with its own (they show in its grouping tally; without forwarding they would not). While
     * leadership moves to n3, which runs no router and so takes no forwards, n2's router proposes them itself. Every
     * write succeeds once and is readable.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void writesToARangeLedElsewhereAreProposedByTheLeadersRouter() throws Exception {
        withRangeLedByN1((cluster, outside, inside, n1, range) -> {
            try (ClusterClient n2 = ClusterClient.connect(ClientOptions.from(cluster.configOf("n2"))
                    .withLocalServer(cluster.node("n2").localServer()))) {
                n2.awaitRangeTable(Duration.ofSeconds(60));
                long proposedByN1 = inside.coalescing().writes().requests();
                long sentByN2 = n2.coalescing().writes().requests();
                for (int i = 0; i < 20; i++) {
                    put(n2, "fwd-" + i, "f" + i);
                }
                assertEquals(20, n2.coalescing().writes().requests() - sentByN2);
                assertEquals(20, inside.coalescing().writes().requests() - proposedByN1,
                        "n2's writes were proposed by n1's router");
                for (int i = 0; i < 20; i++) {
                    assertLinearizable(outside, "fwd-" + i, "f" + i);
                }

                assertEveryWriteSurvivesLeadershipMoving(n2, outside, range, List.of("n3", "n1"));
            }
        });
    }

    /**
     * A writer keeps writing through {@code writer} while leadership of {@code range} moves to each of
     * {@code leaders} in turn; every write must succeed and be readable afterwards.
     */
    private static void assertEveryWriteSurvivesLeadershipMoving(ClusterClient writer, ClusterClient outside,
                                                                 RangeDescriptor range, List<String> leaders)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger written = new AtomicInteger();
        Thread thread = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    put(writer, "moving-" + i, "m" + i);
                    written.set(i + 1);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "writer");
        thread.start();
        for (String target : leaders) {
            Thread.sleep(300);
            lead(outside, range.rangeId(), target);
        }
        Thread.sleep(300);
        stop.set(true);
        thread.join(TimeUnit.SECONDS.toMillis(TestClusters.CALL_TIMEOUT_S));
        assertNull(failure.get(), () -> "a write failed while leadership moved: " + failure.get());
        assertTrue(written.get() > 0, "the writer wrote");
        for (int i = 0; i < written.get(); i++) {
            assertArrayEquals(b("m" + i), await(outside.get(b("moving-" + i), ReadOptions.linearizable())).value(),
                    "moving-" + i);
        }
    }
}
