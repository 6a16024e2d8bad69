package io.omendb.raft.client;

import io.omendb.raft.LocalCluster;
import io.omendb.raft.TestClusters;
import io.omendb.raft.command.Command;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.storage.WriteBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three nodes in one JVM, two ranges ({@code [, m)} and {@code [m, +inf)}), every range on every node: replicas
 * refuse writes and reads routed by a wrong or out-of-date table, identically and without changing anything, and the
 * client re-routes its own requests after such a refusal without its caller seeing it.
 */
class RangeCheckClusterTest {
    @TempDir
    Path dir;

    @Test
    void replicasRefuseMisroutedRequestsAndTheClientReroutesItsOwn() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [cluster]
                initial_split_points = ["m"]
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            for (RangeDescriptor r : table.ranges()) {
                assertEquals(r.bounds(), await(client.admin().recordDescriptorIfAbsent(r.rangeId())),
                        "every range's log records its descriptor from the table");
            }
            RangeDescriptor first = table.rangeForKey(b("a"));
            refusedWritesChangeNothingOnAnyReplica(cluster, client, first);
            staleEpochsAreRefused(client, table, first);
            theClientReroutesAfterRefusals(cluster, table);
        }
    }

    /** A write of a key of range 2 sent to range 1: refused with range 1's descriptor, on every replica alike. */
    private static void refusedWritesChangeNothingOnAnyReplica(LocalCluster cluster, ClusterClient client,
                                                               RangeDescriptor first) throws Exception {
        long before = await(client.put(b("a1"), b("v"))).revision();
        List<byte[]> digests = digests(cluster, client, first.rangeId(), before);

        ClientException refused = clientFailure(client.write(first, new Command.Put(b("x"), b("misrouted"))));
        assertEquals(ErrorCode.RANGE_MOVED, refused.code());
        assertEquals(new RangeRefusal(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, first.bounds()),
                refused.rangeRefusal().orElseThrow());
        ClientException group = clientFailure(client.write(first, new Command.Batch(List.of(
                new WriteBatch.Put(b("a2"), b("v")), new WriteBatch.Put(b("y"), b("v"))))));
        assertEquals(ErrorCode.RANGE_MOVED, group.code(), "a batch with one key outside is refused whole");
        ClientException read = clientFailure(client.read(first, new Query.Get(b("x")), ReadOptions.linearizable()));
        assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, read.rangeRefusal().orElseThrow().reason());

        // a later entry every replica must have applied, which changes no data: then compare contents
        long after = await(client.admin().retrainIndex(first.rangeId())).revision();
        assertTrue(after > before);
        List<byte[]> again = digests(cluster, client, first.rangeId(), after);
        for (int i = 0; i < digests.size(); i++) {
            assertArrayEquals(digests.get(i), again.get(i), "replica " + cluster.nodeIds().get(i) + " changed");
            assertArrayEquals(digests.get(0), again.get(i), "replicas differ");
        }
        assertEquals(null, await(client.get(b("x"), ReadOptions.linearizable())).value());
        assertEquals(null, await(client.get(b("a2"), ReadOptions.linearizable())).value());
    }

    /** Requests routed by a table whose epoch for range 1 is older than the one range 1's replicas recorded. */
    private static void staleEpochsAreRefused(ClusterClient client, RangeTable table, RangeDescriptor first)
            throws Exception {
        RangeTable current = client.rangeTable();
        client.routing().install(withEpochs(table, 0));
        try {
            ClientException write = clientFailure(client.write(first, new Command.Put(b("b"), b("v"))));
            assertEquals(new RangeRefusal(RangeRefusal.Reason.STALE_EPOCH, first.bounds()),
                    write.rangeRefusal().orElseThrow());
            ClientException read = clientFailure(client.read(first, new Query.Get(b("b")),
                    ReadOptions.staleOn("n2", 0)));
            assertEquals(RangeRefusal.Reason.STALE_EPOCH, read.rangeRefusal().orElseThrow().reason(),
                    "a follower checks reads against its own descriptor too");
        } finally {
            client.routing().install(current);
        }
        assertEquals(null, await(client.get(b("b"), ReadOptions.linearizable())).value());
    }

    /**
     * A client whose cached table puts the split at "t" (and has old epochs): its puts, gets and scans of keys in
     * [m, t) go to range 1 first, are refused, and succeed after the client refreshed its table.
     */
    private static void theClientReroutesAfterRefusals(LocalCluster cluster, RangeTable table) throws Exception {
        try (ClusterClient stale = cluster.newClient(null)) {
            stale.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            stale.routing().install(movedSplit(table, b("t")));
            assertEquals(2, await(stale.put(b("p"), b("v1"))).rangeId(), "written to the range that holds it");
            long afterPut = stale.reroutes();
            assertTrue(afterPut >= 1, "the put was re-routed");

            stale.routing().install(movedSplit(table, b("t")));
            assertArrayEquals(b("v1"), await(stale.get(b("p"), ReadOptions.linearizable())).value());
            assertTrue(stale.reroutes() > afterPut, "the get was re-routed");

            stale.routing().install(movedSplit(table, b("t")));
            assertEquals(1, await(stale.scanRange(1, null, null, 100, ReadOptions.linearizable())).entries().size(),
                    "range 1's scan, re-clipped to its bounds: a1 only");

            stale.routing().install(movedSplit(table, b("t")));
            ClientException crossRange = clientFailure(stale.batch(List.of(new WriteBatch.Put(b("c"), b("v")),
                    new WriteBatch.Put(b("q"), b("v")))));
            assertEquals(ErrorCode.CROSS_RANGE_BATCH, crossRange.code(),
                    "a batch a newer table spans two ranges with is refused as documented, not applied in part");
            try (ClusterClient fresh = cluster.newClient(null)) {
                fresh.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
                assertArrayEquals(b("v1"), await(fresh.get(b("p"), ReadOptions.linearizable())).value());
                assertEquals(null, await(fresh.get(b("c"), ReadOptions.linearizable())).value());
            }
        }
    }

    private static List<byte[]> digests(LocalCluster cluster, ClusterClient client, long rangeId, long minIndex)
            throws Exception {
        List<byte[]> out = new ArrayList<>();
        for (String node : cluster.nodeIds()) {
            out.add(await(client.admin().replicaDigest(rangeId, node, minIndex)).sha256());
        }
        return out;
    }

    private static RangeTable withEpochs(RangeTable t, long epoch) {
        return new RangeTable(t.ranges().stream().map(r -> new RangeDescriptor(r.rangeId(), r.start(), r.end(),
                r.groupId(), r.peerIds(), epoch)).toList());
    }

    /** {@code t} (two ranges) with the split point moved to {@code split} and epoch 0: an old table. */
    private static RangeTable movedSplit(RangeTable t, byte[] split) {
        RangeDescriptor a = t.ranges().get(0);
        RangeDescriptor c = t.ranges().get(1);
        return new RangeTable(List.of(new RangeDescriptor(a.rangeId(), a.start(), split, a.groupId(), a.peerIds(), 0),
                new RangeDescriptor(c.rangeId(), split, null, c.groupId(), c.peerIds(), 0)));
    }

    private static ClientException clientFailure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(CALL_TIMEOUT_S, TimeUnit.SECONDS));
        return assertInstanceOf(ClientException.class, e.getCause());
    }
}
