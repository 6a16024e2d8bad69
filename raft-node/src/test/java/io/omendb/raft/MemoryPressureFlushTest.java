package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.assertLinearizable;
import static io.omendb.raft.TestClusters.put;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A node whose memtables fill its memory limit must not stay read-only. The router refuses writes while the heap is
 * over {@code [limits] memory_limit_mb}; each range flushes its memtable only when a write brings it to its freeze
 * point (16 MiB here), so several ranges each holding a memtable below that point could fill the limit, every write
 * would be refused, and nothing would ever free the heap. The node's memtable budget flushes the largest memtables
 * early instead.
 *
 * <p>The "heap" here is the node's memtable bytes, checked before every write the way the router's memory guard
 * checks the heap: a write waits (bounded) until they are at or under {@link #LIMIT_BYTES}. Four ranges of 64 KiB
 * values, written in turn, reach the limit at 6 MiB each, far below their freeze point: without a budget the wait
 * never ends (the test fails after {@link #ADMIT_WAIT_S}); with one (below the limit, as a node derives it from
 * {@code memory_limit_mb}), every write is admitted and memory-pressure flushes are counted.
 */
class MemoryPressureFlushTest {
    private static final long LIMIT_BYTES = 24L << 20;
    private static final long BUDGET_BYTES = 16L << 20;
    private static final int VALUE_BYTES = 64 << 10;
    /** Twice the limit in values, spread over the four ranges. */
    private static final int WRITES = (int) (2 * LIMIT_BYTES / VALUE_BYTES);
    /** How long one write may wait for the memtables to fall under the limit: generous, a flush takes well under 1 s. */
    private static final long ADMIT_WAIT_S = 60;
    private static final List<String> RANGE_PREFIXES = List.of("a", "b", "c", "d");

    @TempDir
    Path dir;

    @Test
    void writesRefusedAtTheMemoryLimitResumeOnceTheLargestMemtablesAreFlushed() throws Exception {
        OmenConfig config = singleNode("");
        String value = "v".repeat(VALUE_BYTES);
        try (OmenNode node = OmenNode.start(config, Clock.systemUTC(), BUDGET_BYTES, true);
             ClusterClient client = ClusterClient.connect(ClientOptions.from(config))) {
            client.awaitRangeTable(Duration.ofSeconds(TestClusters.CALL_TIMEOUT_S));
            for (int i = 0; i < WRITES; i++) {
                awaitAdmitted(node, i);
                put(client, key(i), value);
            }
            assertTrue(node.memoryPressureFlushes() > 0, "the budget flushed memtables below their freeze point");
            assertTrue(node.memtableBytes() <= LIMIT_BYTES, node.memtableBytes() + " memtable bytes");
            for (int i : new int[]{0, 1, WRITES / 2, WRITES - 1}) {
                assertLinearizable(client, key(i), value);
            }
        }
    }

    /**
     * The Raft log's open segment shares the budget: 10 MiB written to one range sit in its memtable (under 7/8 of the
     * 16 MiB budget and under the 16 MiB freeze point, so nothing would flush them) and in its open log segment (32 MiB
     * segments here), which Ratis keeps in memory. The budget reserves the segment's bytes and freezes the memtable.
     */
    @Test
    void theOpenLogSegmentsShareTheBudget() throws Exception {
        OmenConfig config = singleNode("""
                [wal]
                segment_size_mb = 32
                """);
        String value = "v".repeat(VALUE_BYTES);
        int writes = (int) ((10L << 20) / VALUE_BYTES);
        try (OmenNode node = OmenNode.start(config, Clock.systemUTC(), BUDGET_BYTES, true);
             ClusterClient client = ClusterClient.connect(ClientOptions.from(config))) {
            client.awaitRangeTable(Duration.ofSeconds(TestClusters.CALL_TIMEOUT_S));
            for (int i = 0; i < writes; i++) {
                put(client, "a" + String.format("%06d", i), value);
            }
            long segmentBytes = 32L << 20;
            assertTrue(CountingRatisMetrics.logCacheBytes(segmentBytes) >= (long) writes * VALUE_BYTES,
                    CountingRatisMetrics.logCacheBytes(segmentBytes) + " bytes in the Raft logs' caches");
            assertTrue(node.replicaMetrics().stream().anyMatch(m -> m.logCacheBytes() >= (long) writes * VALUE_BYTES),
                    "the written range's replica reports its open segment: " + node.replicaMetrics());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ADMIT_WAIT_S);
            while (node.memoryPressureFlushes() == 0) {
                assertTrue(System.nanoTime() < deadline, "the memtable was never flushed for the log's room: "
                        + node.memtableBytes() + " memtable bytes");
                Thread.sleep(50);
            }
            assertLinearizable(client, "a000000", value);
        }
    }

    /** Waits, at most {@link #ADMIT_WAIT_S}, until the memory guard would admit write {@code i}. */
    private static void awaitAdmitted(OmenNode node, int i) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ADMIT_WAIT_S);
        while (node.memtableBytes() > LIMIT_BYTES) {
            if (System.nanoTime() > deadline) {
                fail("write " + i + " refused for " + ADMIT_WAIT_S + " s: the node's memtables hold "
                        + node.memtableBytes() + " bytes, over the limit of " + LIMIT_BYTES
                        + ", and nothing flushes them (" + node.memoryPressureFlushes() + " pressure flushes)");
            }
            Thread.sleep(50);
        }
    }

    /** Keys cycle through the four ranges, so each memtable grows at the same pace. */
    private static String key(int i) {
        return RANGE_PREFIXES.get(i % RANGE_PREFIXES.size()) + String.format("%06d", i);
    }

    private OmenConfig singleNode(String extraToml) {
        int[] ports = LocalCluster.freePorts(2);
        OmenConfig template = TestClusters.template("""
                [cluster]
                initial_split_points = ["b", "c", "d"]
                """ + extraToml);
        OmenConfig.Member self = new OmenConfig.Member("n1", "127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]);
        return template
                .withDatabase(new OmenConfig.Database(template.database().name(), dir.resolve("n1"),
                        template.database().logLevel()))
                .withHttp(new OmenConfig.Http("127.0.0.1", ports[1], template.http().maxConnections()))
                .withCluster(new OmenConfig.Cluster("n1", 1, List.of(self), template.cluster().initialSplitPoints()));
    }
}
