package io.omendb.raft;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
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
            return inner.submit(request);
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

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void requestsOfALocallyLedRangeStayInProcessAndWritesSurviveLeadershipMovingAway() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template(""));
             ClusterClient outside = cluster.newClient(null)) {
            CountingServer n1 = new CountingServer(cluster.node("n1").localServer());
            try (ClusterClient inside = ClusterClient.connect(ClientOptions.from(cluster.configOf("n1"))
                    .withLocalServer(n1))) {
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

                for (int i = 0; i < 20; i++) {
                    put(inside, "local-" + i, "v" + i);
                    assertLinearizable(inside, "local-" + i, "v" + i);
                }
                assertTrue(n1.count(TypeCase.WRITE) >= 20, "writes handed over in-process: " + n1.submitted);
                assertTrue(n1.count(TypeCase.READ) >= 20, "reads handed over in-process: " + n1.submitted);

                // a writer keeps writing through n1's router while leadership goes n1 -> n2 -> n1 -> n3
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                AtomicInteger written = new AtomicInteger();
                Thread writer = new Thread(() -> {
                    try {
                        for (int i = 0; !stop.get(); i++) {
                            put(inside, "moving-" + i, "m" + i);
                            written.set(i + 1);
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }, "writer");
                writer.start();
                for (String target : List.of("n2", "n1", "n3")) {
                    Thread.sleep(300);
                    lead(outside, range.rangeId(), target);
                }
                Thread.sleep(300);
                stop.set(true);
                writer.join(TimeUnit.SECONDS.toMillis(TestClusters.CALL_TIMEOUT_S));
                assertNull(failure.get(), () -> "a write through n1 failed while leadership moved: " + failure.get());
                assertTrue(written.get() > 0, "the writer wrote");
                for (int i = 0; i < written.get(); i++) {
                    assertArrayEquals(b("m" + i), await(outside.get(b("moving-" + i), ReadOptions.linearizable()))
                            .value(), "moving-" + i);
                }
            }
        }
    }
}
