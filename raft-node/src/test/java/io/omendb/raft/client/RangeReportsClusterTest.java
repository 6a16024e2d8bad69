package io.omendb.raft.client;

import io.omendb.raft.LocalCluster;
import io.omendb.raft.TestClusters;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static io.omendb.raft.TestClusters.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ClusterAdmin#rangeReports} (what {@code GET /admin/ranges} shows) on a cluster of many ranges: three nodes,
 * RF 3, {@value #RANGES} ranges from initial split points. One status call per node lists every range with every
 * replica, its leader and the leader's size; with a node stopped, the listing still completes, showing that node's
 * replicas UNREACHABLE and the others as before. The listing asked every replica of every range before (a role call
 * and a status read each, plus a size read per range) and outlasted the request deadline past about 64 ranges.
 */
class RangeReportsClusterTest {
    static final int RANGES = 65;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void everyRangeIsListedFromOneCallPerNode() throws Exception {
        String splitPoints = IntStream.range(1, RANGES).mapToObj(i -> String.format("\"k%03d\"", i))
                .collect(Collectors.joining(", "));
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("[cluster]\n"
                + "initial_split_points = [" + splitPoints + "]\n")); ClusterClient client = cluster.newClient(null)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            assertEquals(RANGES, table.ranges().size());
            for (int i = 0; i < RANGES; i++) {
                await(client.put(b(String.format("k%03d-x", i)), b("v" + i)));
            }

            List<Results.RangeReport> reports = awaitEveryLeader(client);
            assertEquals(table.ranges().stream().map(RangeDescriptor::rangeId).toList(),
                    reports.stream().map(r -> r.status().descriptor().rangeId()).toList(), "every range, in order");
            for (Results.RangeReport r : reports) {
                Results.RangeStatus s = r.status();
                assertEquals(s.descriptor().peerIds(),
                        s.replicas().stream().map(Results.ReplicaStatus::nodeId).toList());
                for (Results.ReplicaStatus replica : s.replicas()) {
                    assertNull(replica.error(), replica.toString());
                    assertNotNull(replica.stats(), replica.toString());
                    if (replica.nodeId().equals(s.leaderId())) {
                        assertTrue(replica.appliedIndex() > 0, "the leader applied the write: " + replica);
                    }
                }
                assertNotNull(r.leaderSizeOrNull(), s.toString());
                assertTrue(r.leaderSizeOrNull().dataBytes() > 0, "each range holds one record: " + r);
            }

            cluster.stopNode("n3");
            List<Results.RangeReport> withoutN3 = await(client.admin().rangeReports());
            assertEquals(RANGES, withoutN3.size());
            for (Results.RangeReport r : withoutN3) {
                for (Results.ReplicaStatus replica : r.status().replicas()) {
                    assertEquals(replica.nodeId().equals("n3"), "UNREACHABLE".equals(replica.role()),
                            replica.toString());
                }
            }
        }
    }

    /** The listing once every range elected a leader (the groups of a fresh cluster elect one by one). */
    private static List<Results.RangeReport> awaitEveryLeader(ClusterClient client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CALL_TIMEOUT_S);
        while (true) {
            List<Results.RangeReport> reports = await(client.admin().rangeReports());
            if (reports.stream().allMatch(r -> r.status().leaderId() != null
                    && r.status().replicas().stream().allMatch(s -> s.error() == null))) {
                return reports;
            }
            assertTrue(System.nanoTime() < deadline, "ranges without a leader or a replica answering: " + reports);
            Thread.sleep(200);
        }
    }
}
