package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static io.omendb.raft.TestClusters.CALL_TIMEOUT_S;
import static io.omendb.raft.TestClusters.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three nodes, six ranges, every leader moved onto n1 by hand: with {@code [placement] leader_balance_interval_s = 1}
 * the node leading the meta group moves leaders until every node leads within one of the mean (two).
 */
class LeaderBalancerTest {
    @TempDir
    Path dir;

    @Test
    void leadersPiledOnOneNodeAreSpreadAgain() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 3, 3, TestClusters.template("""
                [placement]
                leader_balance_interval_s = 1
                [cluster]
                initial_split_points = ["b", "c", "d", "e", "f"]
                """)); ClusterClient client = cluster.newClient(null)) {
            RangeTable table = client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            for (RangeDescriptor r : table.ranges()) {
                await(client.admin().transferLeader(r.rangeId(), "n1"));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(CALL_TIMEOUT_S * 2).toNanos();
            Map<String, Integer> leads = leaderCounts(client, table);
            while (!balanced(leads) && System.nanoTime() < deadline) {
                Thread.sleep(500);
                leads = leaderCounts(client, table);
            }
            assertTrue(balanced(leads), "every node leads 1 to 3 of the 6 ranges: " + leads);
        }
    }

    private static boolean balanced(Map<String, Integer> leads) {
        return leads.size() == 3 && leads.values().stream().allMatch(n -> n >= 1 && n <= 3);
    }

    private static Map<String, Integer> leaderCounts(ClusterClient client, RangeTable table) throws Exception {
        Map<String, Integer> out = new HashMap<>();
        for (RangeDescriptor r : table.ranges()) {
            String leader = await(client.admin().rangeStatus(r.rangeId())).leaderId();
            if (leader != null) {
                out.merge(leader, 1, Integer::sum);
            }
        }
        return out;
    }
}
