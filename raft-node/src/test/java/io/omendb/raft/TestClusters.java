package io.omendb.raft;

import io.omendb.raft.client.ClientException;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ErrorCode;
import io.omendb.raft.client.ReadOptions;
import io.omendb.raft.client.Results;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import io.omendb.storage.FileOps;

import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared helpers of the multi-node tests (public for the client package's cluster tests). */
public final class TestClusters {
    /** Upper bound on any single client call in tests (elections included). */
    public static final long CALL_TIMEOUT_S = 60;

    private TestClusters() {
    }

    /**
     * Four ranges (split at "b", "c", "d", where {@link #writer} writes) and a placement driver at a test's pace: a
     * round every second and every 200 ms while a move runs, at most two moves per node.
     */
    public static final String FAST_PLACEMENT_FOUR_RANGES = """
            [placement]
            leader_balance_interval_s = 1
            busy_round_interval_ms = 200
            max_moves_per_node = 2
            [cluster]
            initial_split_points = ["b", "c", "d"]
            """;

    public static OmenConfig template(String extraToml) {
        return ConfigLoader.parse("""
                [database]
                name = "test"
                [storage]
                fsync_enabled = false
                [security]
                auth_enabled = false
                """ + extraToml, Map.of());
    }

    /**
     * Waits until no node in this JVM is still writing the initial range table, its member record or its incarnation
     * ({@link Rejoin}). Their
     * compare-and-sets to the meta group are forwarded to the meta leader's router like any write, so a test that
     * counts the writes a router proposed must not start counting while a seeder may still send one.
     */
    public static void awaitSeedersDone() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CALL_TIMEOUT_S);
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive()
                && (t.getName().startsWith(RangeTableSeeder.THREAD_NAME_PREFIX)
                || t.getName().startsWith(MemberRegistration.THREAD_NAME_PREFIX)
                || t.getName().startsWith(Rejoin.THREAD_NAME_PREFIX)))) {
            assertTrue(System.nanoTime() < deadline, "a node is still writing the initial range table or its record");
            Thread.sleep(50);
        }
    }

    public static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** How long {@link #replicaDigestOnceReachable} waits for a restarted node's channel and log replay. */
    static final long REACHABLE_WAIT_S = 60;

    public static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    }

    /**
     * The digest of {@code node}'s replica once that node answers at {@code minIndex}. A client's gRPC channel to a
     * node that was just restarted can still be in reconnect backoff ("connection refused" from while it was
     * down), and replica reads fail fast (UNAVAILABLE) by design; a restarted replica replaying its log on a loaded
     * machine can also need longer than one read's 15 s window to reach {@code minIndex} (REPLICA_BEHIND). This
     * waits, bounded, for both; the digest itself is compared by the caller.
     */
    public static byte[] replicaDigestOnceReachable(ClusterClient client, long rangeId, String node, long minIndex)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(REACHABLE_WAIT_S);
        while (true) {
            try {
                return await(client.admin().replicaDigest(rangeId, node, minIndex)).sha256();
            } catch (ExecutionException e) {
                boolean notYet = e.getCause() instanceof ClientException ce
                        && (ce.code() == ErrorCode.UNAVAILABLE || ce.code() == ErrorCode.REPLICA_BEHIND);
                if (!notYet || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(250);
            }
        }
    }

    /**
     * {@code call}'s result; when it fails, an AssertionError that also says how the range's replicas stood right
     * after (each one's role and applied index, as {@code admin range-status} shows them). A write that ran out of
     * retries in CI once said only which peer its last attempt went to; this says which replica led, if any.
     */
    public static <T> T describingRangeOnFailure(ClusterClient client, long rangeId, Callable<T> call) throws Exception {
        try {
            return call.call();
        } catch (ExecutionException e) {
            String status;
            try {
                status = String.valueOf(client.admin().rangeStatus(rangeId).get(CALL_TIMEOUT_S, TimeUnit.SECONDS));
            } catch (Exception unavailable) {
                status = "no status: " + unavailable;
            }
            throw new AssertionError("failed; range " + rangeId + " right after: " + status, e);
        }
    }

    /** Deletes a node's whole data directory, as a lost disk would. */
    static void wipe(Path nodeDir) throws Exception {
        FileOps.deleteRecursively(nodeDir);
        assertTrue(Files.notExists(nodeDir));
    }

    /** {@code s} with mutual TLS on, from {@code dir/node.pem}, {@code dir/node.key} and {@code dir/ca.pem}. */
    static OmenConfig.Security tls(OmenConfig.Security s, Path dir) {
        return new OmenConfig.Security(s.authEnabled(), s.usersFile(), s.rolesFile(), s.sessionTimeoutSeconds(), true,
                dir.resolve("node.pem").toString(), dir.resolve("node.key").toString(), dir.resolve("ca.pem").toString(),
                false, s.reloadCheckIntervalS());
    }

    static long put(ClusterClient client, String key, String value) throws Exception {
        Results.WriteResult r = await(client.put(b(key), b(value)));
        return r.revision();
    }

    static void assertLinearizable(ClusterClient client, String key, String value) throws Exception {
        assertArrayEquals(value == null ? null : b(value), await(client.get(b(key), ReadOptions.linearizable())).value(),
                key);
    }

    /**
     * A thread writing keys over the ranges split at "b", "c", "d" ({@code <a|b|c|d>-w<id>-<i>}) until {@code stop};
     * it records each write the cluster acknowledged (one not acknowledged may or may not have committed: neither
     * counted nor checked).
     */
    public static Thread writer(ClusterClient client, String namePrefix, int id, Map<String, String> acknowledged,
                                AtomicBoolean stop) {
        return new Thread(() -> {
            String[] prefixes = {"a", "b", "c", "d"};
            for (int i = 0; !stop.get(); i++) {
                String key = prefixes[i % prefixes.length] + "-w" + id + "-" + i;
                String value = "v" + i;
                try {
                    client.put(b(key), b(value)).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
                    acknowledged.put(key, value);
                } catch (Exception notAcknowledged) {
                    // neither counted nor checked: the write may or may not have committed
                }
            }
        }, namePrefix + "-writer-" + id);
    }

    /**
     * Runs {@code body} while {@code writers} {@link #writer}s write through {@code client}, recording what was
     * acknowledged in {@code acknowledged}; stops and joins them whatever {@code body} does.
     */
    public static <T> T underWrites(ClusterClient client, String namePrefix, int writers,
                                    Map<String, String> acknowledged, Callable<T> body) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            threads.add(writer(client, namePrefix, w, acknowledged, stop));
        }
        threads.forEach(Thread::start);
        try {
            return body.call();
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(CALL_TIMEOUT_S));
            }
        }
    }

    /** Every write of {@code written} reads back through {@code reader} (linearizable). */
    public static void assertReadsBack(ClusterClient reader, Map<String, String> written) throws Exception {
        for (Map.Entry<String, String> e : written.entrySet()) {
            assertArrayEquals(b(e.getValue()), await(reader.get(b(e.getKey()), ReadOptions.linearizable())).value(),
                    e.getKey());
        }
    }

    /** What the leader of {@code g} has applied; -1 while none leads. */
    private static long leadersApplied(LocalCluster cluster, RaftGroupId g) throws Exception {
        for (String id : cluster.nodeIds()) {
            if (!cluster.node(id).hostedGroups().contains(g)) {
                continue; // the wiped node creates the group only once its leader has removed it
            }
            RaftServer.Division d = cluster.node(id).raftServer().getDivision(g);
            if (d.getInfo().isLeader()) {
                return d.getInfo().getLastAppliedIndex();
            }
        }
        return -1;
    }

    /** The division's applied index, or -1 while it is still starting (Ratis has not created its apply thread yet). */
    private static long appliedOrMinusOne(RaftServer.Division d) {
        try {
            return d.getInfo().getLastAppliedIndex();
        } catch (IllegalStateException starting) {
            return -1; // "stateMachineUpdater is uninitialized": the group was just re-created on the wiped node
        }
    }

    /**
     * Waits until the wiped node is a voter of {@code g} again and has applied what the leader had applied when
     * first seen (the group may be between leaders when the wait starts: the rejoin changes its configuration).
     */
    static void awaitCaughtUpVoter(LocalCluster cluster, RaftGroupId g, String victim, long catchUpMsMax)
            throws Exception {
        long target = -1;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(catchUpMsMax);
        while (true) {
            if (target < 0) {
                target = leadersApplied(cluster, g);
            }
            // the group is re-created on the wiped node once its leader has removed it from the configuration
            RaftServer server = cluster.node(victim).raftServer();
            boolean hosted = cluster.node(victim).hostedGroups().contains(g);
            RaftServer.Division wiped = hosted ? server.getDivision(g) : null;
            boolean voter = wiped != null && wiped.getRaftConf().getCurrentPeers().stream()
                    .anyMatch(p -> p.getId().equals(RaftPeerId.valueOf(victim)));
            long applied = wiped == null ? -1 : appliedOrMinusOne(wiped);
            if (voter && target >= 0 && applied >= target) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, g + " on " + victim + ": voter=" + voter + ", applied " + applied
                    + " < leader's " + target + " after " + catchUpMsMax + " ms");
            Thread.sleep(100);
        }
    }
}
