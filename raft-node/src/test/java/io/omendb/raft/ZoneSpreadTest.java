package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.NodeStatus;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four nodes in zones a, a, b, c, replication factor 3, four ranges, under two writers. The initial layout (three
 * consecutive members per range, round-robin) puts ranges 1 and 4 on both zone-a nodes, so they span two zones: the
 * placement driver must move one replica of each to the zone it lacks, until every range spans three zones. Then b's
 * and c's only nodes hold every range and a's two nodes two each (their shares, within ±1), every acknowledged write
 * reads back, and {@code nodes()} shows each node's zone.
 *
 * <p>n4's zone is written only in its own file ({@code [cluster] zone}); the others' files list n1..n3's zones. So the
 * driver and the client learn n4's zone from the member record n4 registered in the meta group, the path a node's
 * zone takes in a cluster whose files do not all list every zone.
 */
class ZoneSpreadTest {
    /** How long the two moves may take on a loaded machine; on a quiet one, seconds. */
    static final long SPREAD_WAIT_S = 90;
    static final int WRITERS = 2;
    static final int REPLICATION = 3;
    static final Map<String, String> ZONES = Map.of("n1", "a", "n2", "a", "n3", "b", "n4", "c");

    @TempDir
    Path dir;

    @Test
    void everyRangeEndsSpreadOverThreeZonesAndEveryWriteReadsBack() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 4, REPLICATION,
                TestClusters.template(TestClusters.FAST_PLACEMENT_FOUR_RANGES), ZoneSpreadTest::withZones);
             ClusterClient client = cluster.newClient(null)) {
            RangeTable initial = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            assertEquals(List.of(2, 3, 3, 2), initial.ranges().stream().map(ZoneSpreadTest::zonesOf).toList(),
                    "the initial layout puts ranges 1 and 4 on both zone-a nodes");
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            List<NodeStatus> nodes = TestClusters.underWrites(client, "zones", WRITERS, acknowledged,
                    () -> awaitSpread(client));
            assertEquals(List.of("a", "a", "b", "c"), nodes.stream().map(NodeStatus::zone).toList(),
                    "n4's zone is learnt from its registration: " + nodes);
            Map<String, Integer> share = Map.of("n1", 2, "n2", 2, "n3", 4, "n4", 4);
            for (NodeStatus n : nodes) {
                assertTrue(Math.abs(n.replicas() - share.get(n.nodeId())) <= 1, "within ±1 of its share: " + nodes);
            }
            assertTrue(acknowledged.size() > 0, "the writers wrote while replicas moved");
            try (ClusterClient reader = cluster.newClient(null)) {
                for (RangeDescriptor r : await(reader.refreshRangeTable()).ranges()) {
                    assertEquals(3, zonesOf(r), r.toString());
                }
                TestClusters.assertReadsBack(reader, acknowledged);
            }
        }
    }

    /** n1..n3's files list n1..n3's zones; n4's zone is only in its own file, as {@code [cluster] zone} would set. */
    private static OmenConfig withZones(String id, OmenConfig config) {
        OmenConfig.Cluster c = config.cluster();
        List<OmenConfig.Member> members = c.members().stream().map(m -> m.id().equals("n4") && !id.equals("n4") ? m
                : m.withZone(ZONES.get(m.id()))).toList();
        return config.withCluster(new OmenConfig.Cluster(id, c.replicationFactor(), members, c.initialSplitPoints()));
    }

    private static int zonesOf(RangeDescriptor r) {
        Set<String> zones = new HashSet<>();
        r.peerIds().forEach(p -> zones.add(ZONES.get(p)));
        return r.peerIds().size() == REPLICATION ? zones.size() : -1;
    }

    /** Waits until every range has its three replicas in three zones and every node shows it; the nodes then. */
    private static List<NodeStatus> awaitSpread(ClusterClient client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SPREAD_WAIT_S);
        RangeTable table = null;
        while (System.nanoTime() < deadline) {
            table = await(client.refreshRangeTable());
            if (table.ranges().stream().allMatch(r -> zonesOf(r) == 3)) {
                List<NodeStatus> nodes = await(client.admin().nodes().nodes());
                if (nodes.stream().allMatch(n -> n.state().equals("live"))) {
                    return nodes;
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError("ranges not spread over three zones within " + SPREAD_WAIT_S + " s: " + (table == null
                ? "no table" : table.ranges().stream().map(r -> r.rangeId() + "=" + r.peerIds()).toList()));
    }
}
