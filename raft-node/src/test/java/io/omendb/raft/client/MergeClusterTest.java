package io.omendb.raft.client;

import io.omendb.raft.LocalCluster;
import io.omendb.raft.TestClusters;
import io.omendb.raft.command.Command;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.range.RangeBounds;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static io.omendb.raft.client.SplitClusterTest.checkEveryWrite;
import static io.omendb.raft.client.SplitClusterTest.restartAndCheck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three nodes in one JVM: a range split in two and merged back under concurrent writes keeps every acknowledged write
 * (by get and by one scan), leaves one range with a higher epoch, deletes the merged-away group on every node, refuses
 * to reuse its id, and survives a restart of every node; a merge of the last range is refused; a source frozen by a
 * merge that never committed refuses writes until the merge is abandoned, and then takes them again.
 */
class MergeClusterTest {
    @TempDir
    Path dir;

    @Test
    void mergeUnderWritesKeepsEveryWriteAndSurvivesRestart() throws Exception {
        Map<String, String> acked = new ConcurrentHashMap<>();
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template(""));
             ClusterClient client = cluster.newClient(null)) {
            RangeDescriptor whole = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S)).ranges().get(0);
            for (int i = 0; i < 400; i++) {
                String k = String.format("k%04d", i);
                await(client.put(b(k), b("v" + i)));
                acked.put(k, "v" + i);
            }
            Results.SplitResult split = await(client.admin().split(whole.rangeId(), b("k0200")));
            ClientException last = assertThrows(ClientException.class, () -> unwrap(client.admin()
                    .merge(split.right().rangeId())));
            assertEquals(ErrorCode.INVALID_ARGUMENT, last.code(), last.getMessage());

            WriteLoad writes = WriteLoad.start(client, acked, 400);
            Thread.sleep(200);
            // two merges into one range at once (an operator's and an automatic one): one claims the target, the
            // other is refused before it copies anything
            List<java.util.concurrent.CompletableFuture<Results.MergeResult>> both = List.of(
                    client.admin().merge(split.left().rangeId()), client.admin().merge(split.left().rangeId()));
            List<Results.MergeResult> merged = new java.util.ArrayList<>();
            List<ClientException> refused = new java.util.ArrayList<>();
            for (java.util.concurrent.CompletableFuture<Results.MergeResult> f : both) {
                try {
                    merged.add(unwrap(f));
                } catch (ClientException e) {
                    refused.add(e);
                }
            }
            assertEquals(1, merged.size(), "exactly one merge: " + refused);
            assertEquals(ErrorCode.CONFLICT, refused.get(0).code(), refused.get(0).getMessage());
            Results.MergeResult merge = merged.get(0);
            Thread.sleep(500); // writes keep going to the merged range
            assertEquals(List.of(), writes.stop(), "no write failed across the merge");
            assertTrue(merge.frozenMs() <= merge.elapsedMs(), merge.toString());

            assertEquals(split.left().rangeId(), merge.merged().rangeId());
            assertEquals(split.right().toString(), merge.removed().toString());
            assertNull(merge.merged().end());
            assertTrue(merge.merged().epoch() > split.right().epoch(), merge.toString());
            assertTrue(merge.recordsCopied() >= 200, merge.toString());
            RangeTable after = client.refreshRangeTable().get();
            assertEquals(1, after.ranges().size());
            MetaView view = await(client.refreshMetaView()); // what each node's reconciler reads, in one scan
            assertEquals(after.ranges().toString(), view.table().ranges().toString());
            assertEquals(await(client.admin().mergeTombstones()).stream().map(t -> Arrays.toString(t.encode()))
                    .toList(), view.tombstones().stream().map(t -> Arrays.toString(t.encode())).toList());
            assertEquals(List.of(split.right().rangeId()), view.tombstones().stream()
                    .map(t -> t.sourceRangeId()).toList());
            RangeBounds recorded = await(client.admin().recordedDescriptor(merge.merged().rangeId()));
            assertEquals(merge.merged().bounds(), recorded, "the range's log records the union");
            checkEveryWrite(client, acked);
            RaftGroupId removed = RaftGroupId.valueOf(split.right().groupId());
            long deadline = System.nanoTime() + Duration.ofSeconds(CALL_TIMEOUT_S).toNanos();
            for (String node : cluster.nodeIds()) {
                while (hosts(cluster, node, removed)) { // deleted right after the answer, not before it
                    assertTrue(System.nanoTime() < deadline, node + " still hosts the merged-away group");
                    Thread.sleep(100);
                }
            }

            Results.SplitResult again = await(client.admin().split(merge.merged().rangeId(), b("k0300")));
            assertTrue(again.right().rangeId() > split.right().rangeId(), "a merged-away range's id is never reused");
            restartAndCheck(cluster, acked, 2);
        }
    }

    /**
     * Two initial ranges. A merge whose proposer froze the source and died: writes to the source are refused (the
     * client gives up with RANGE_MOVED after its retries) and a new merge is refused as CONFLICT until the merge is
     * abandoned, which raises the table's epoch to the frozen one; then the same writes go through. A real merge of
     * the two initial ranges then survives a restart of every node: the seeder does not write the merged-away range's
     * descriptor again and no node creates its group again from the initial layout.
     */
    @Test
    void aFrozenSourceTakesWritesAgainOnceItsMergeIsAbandoned() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [cluster]
                initial_split_points = ["m"]
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            RangeDescriptor target = table.rangeForKey(b("a"));
            RangeDescriptor source = table.rangeForKey(b("x"));
            await(client.put(b("a"), b("1")));
            await(client.put(b("x"), b("2")));
            await(client.admin().recordDescriptorIfAbsent(source.rangeId()));
            await(client.write(source, new Command.PrepareMerge(target.rangeId())));
            RangeBounds frozen = await(client.admin().recordedDescriptor(source.rangeId()));
            assertTrue(frozen.epoch() > source.epoch());
            ClientException refused = assertThrows(ClientException.class, () -> unwrap(client.put(b("y"), b("3"))));
            assertEquals(ErrorCode.RANGE_MOVED, refused.code(), refused.getMessage());
            ClientException busy = assertThrows(ClientException.class, () -> unwrap(client.admin()
                    .merge(target.rangeId())));
            assertEquals(ErrorCode.CONFLICT, busy.code(), "a frozen source is changing shape: " + busy.getMessage());

            await(client.admin().unfreeze(source.rangeId(), frozen.epoch()));
            assertEquals(source.rangeId(), await(client.put(b("y"), b("3"))).rangeId());
            assertEquals("2", new String(await(client.get(b("x"), ReadOptions.linearizable())).value()));
            Results.MergeResult merge = await(client.admin().merge(target.rangeId()));
            assertEquals(target.rangeId(), merge.merged().rangeId());
            assertEquals("3", new String(await(client.get(b("y"), ReadOptions.linearizable())).value()));
            assertEquals(1, client.refreshRangeTable().get().ranges().size());

            cluster.restartAll();
            try (ClusterClient restarted = cluster.newClient(null)) {
                restarted.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
                for (String[] kv : new String[][]{{"a", "1"}, {"x", "2"}, {"y", "3"}}) {
                    assertEquals(kv[1], new String(SplitClusterTest.getWithRetry(restarted, kv[0])));
                }
                TestClusters.awaitSeedersDone();
                assertEquals(1, restarted.refreshRangeTable().get().ranges().size(),
                        "the seeder does not bring the merged-away initial range back");
                // a replica the merge's own deletion had not reached before the restart is deleted by its node's
                // reconciler (the tombstone); one that was deleted is retired and never created again at start
                RaftGroupId gone = RaftGroupId.valueOf(source.groupId());
                long deadline = System.nanoTime() + Duration.ofSeconds(CALL_TIMEOUT_S).toNanos();
                for (String node : cluster.nodeIds()) {
                    while (hosts(cluster, node, gone)) {
                        assertTrue(System.nanoTime() < deadline, node + " still hosts the merged-away group");
                        Thread.sleep(200);
                    }
                }
                Thread.sleep(1_000);
                assertEquals(1, restarted.refreshRangeTable().get().ranges().size());
            }
        }
    }

    /**
     * {@code [ranges] merge_size_mb = 1} with a 2 s cool-down: a pair made by a split that is not the operator's (as an
     * automatic split makes it) is merged back on its own; an operator's split (sticky) stays, past several checks and
     * cool-downs, until the operator merges; after that the boundary is no longer sticky.
     */
    @Test
    void smallColdNeighboursMergeOnTheirOwnUnlessAnOperatorSplitThem() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [ranges]
                split_size_mb = 0
                merge_size_mb = 1
                split_check_interval_s = 1
                split_cooldown_s = 2
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeDescriptor whole = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S)).ranges().get(0);
            for (int i = 0; i < 100; i++) {
                await(client.put(b(String.format("k%04d", i)), b("v" + i)));
            }
            await(client.admin().split(whole.rangeId(), b("k0050"), false));
            awaitRanges(client, 1, "the automatic split's halves are merged back");

            splitOnceSettled(client, whole.rangeId(), true);
            Thread.sleep(8_000); // four cool-downs' worth of checks
            assertEquals(2, client.refreshRangeTable().get().ranges().size(), "an operator's split stays");
            await(client.admin().merge(whole.rangeId()));
            splitOnceSettled(client, whole.rangeId(), false);
            awaitRanges(client, 1, "the operator's merge cleared the boundary's mark");
            for (int i = 0; i < 100; i++) {
                assertEquals("v" + i, new String(await(client.get(b(String.format("k%04d", i)),
                        ReadOptions.linearizable())).value()));
            }
        }
    }

    /**
     * Splits the range at "k0050" as soon as it settled: the table shows a merge once the meta group recorded it, and
     * the range's leader may apply the merge a moment later; until then a split is refused with CONFLICT "is changing
     * shape ... retry once it settled", the answer an operator gets too (seen in CI right after the automatic merge).
     */
    private static void splitOnceSettled(ClusterClient client, long rangeId, boolean sticky) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(CALL_TIMEOUT_S).toNanos();
        while (true) {
            try {
                await(client.admin().split(rangeId, b("k0050"), sticky));
                return;
            } catch (ExecutionException e) {
                boolean settling = e.getCause() instanceof ClientException ce && ce.code() == ErrorCode.CONFLICT
                        && ce.getMessage().contains("is changing shape");
                if (!settling || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    private static void awaitRanges(ClusterClient client, int n, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(CALL_TIMEOUT_S).toNanos();
        while (client.refreshRangeTable().get().ranges().size() != n) {
            assertTrue(System.nanoTime() < deadline, what + ": still " + client.rangeTable().ranges().size()
                    + " ranges");
            Thread.sleep(200);
        }
    }

    private static boolean hosts(LocalCluster cluster, String node, RaftGroupId group) {
        for (RaftGroupId g : cluster.node(node).raftServer().getGroupIds()) {
            if (g.equals(group)) {
                return true;
            }
        }
        return false;
    }

    private static <T> T unwrap(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        try {
            return f.get(CALL_TIMEOUT_S * 3L, java.util.concurrent.TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
