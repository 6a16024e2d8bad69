package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.benchcluster.RebalanceTracker.NodeRow;
import io.omendb.benchcluster.RebalanceTracker.RangePeers;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RebalanceTrackerTest {
    @Test
    void parsesTheMembersOfAdminNodes() {
        String body = "{\"nodes\":[{\"id\":\"n1\",\"raft_address\":\"127.0.0.1:7001\",\"http_address\":\"127.0.0.1:3001\","
                + "\"zone\":null,\"state\":\"live\",\"incarnation\":\"3f9c2a71d04be588\",\"replicas\":4,\"leaders\":2},"
                + "{\"id\":\"n4\",\"raft_address\":\"127.0.0.1:7004\",\"http_address\":null,\"zone\":\"a\","
                + "\"state\":\"suspect\",\"incarnation\":null,\"replicas\":0,\"leaders\":0}]}";
        assertEquals(List.of(new NodeRow("n1", "live", 4, 2), new NodeRow("n4", "suspect", 0, 0)),
                NodeRow.parse(body));
        assertEquals(List.of(), NodeRow.parse("{\"nodes\":[]}"));
    }

    @Test
    void parsesPeersAndDataBytesOfAdminRanges() {
        String body = "{\"ranges\":[{\"id\":1,\"start\":\"\",\"end\":\"g\",\"epoch\":1,\"leader\":\"n1\","
                + "\"peers\":[\"n1\",\"n2\",\"n3\"],\"applied_index\":120,\"keys\":3021,\"bytes\":98304,"
                + "\"data_bytes\":90112,\"load_ops_per_s\":12.5},{\"id\":7,\"start\":\"g\",\"end\":null,\"epoch\":3,"
                + "\"leader\":null,\"peers\":[\"n2\",\"n3\",\"n4\",\"n5\"],\"applied_index\":0,\"keys\":0,\"bytes\":0,"
                + "\"data_bytes\":-1,\"load_ops_per_s\":-1}]}";
        assertEquals(List.of(new RangePeers(1, List.of("n1", "n2", "n3"), 90112),
                new RangePeers(7, List.of("n2", "n3", "n4", "n5"), -1)), RangePeers.parse(body));
    }

    @Test
    void balancedWhenEveryLiveNodeIsWithinOneOfTheMeanOfReplicasAndOfLeaders() {
        // 10 ranges, RF 3, 5 nodes: means 6 replicas and 2 leaders.
        assertTrue(RebalanceTracker.balanced(List.of(node("n1", 7, 3), node("n2", 5, 1), node("n3", 6, 2),
                node("n4", 6, 2), node("n5", 6, 2)), 5));
        assertFalse(RebalanceTracker.balanced(List.of(node("n1", 8, 2), node("n2", 6, 2), node("n3", 6, 2),
                node("n4", 5, 2), node("n5", 5, 2)), 5), "8 replicas is 2 above the mean");
        assertFalse(RebalanceTracker.balanced(List.of(node("n1", 6, 4), node("n2", 6, 1), node("n3", 6, 2),
                node("n4", 6, 2), node("n5", 6, 1)), 5), "4 leaders is 2 above the mean");
        // A fractional mean: 24 replicas over 5 nodes is 4.8, so 4 and 5 are in, 6 (1.2 above) is not.
        assertTrue(RebalanceTracker.balanced(List.of(node("n1", 5, 2), node("n2", 5, 2), node("n3", 5, 2),
                node("n4", 5, 1), node("n5", 4, 1)), 5));
        assertFalse(RebalanceTracker.balanced(List.of(node("n1", 6, 2), node("n2", 5, 2), node("n3", 5, 2),
                node("n4", 4, 1), node("n5", 4, 1)), 5));
    }

    @Test
    void notBalancedWhileANewNodeIsMissingOrNotLive() {
        List<NodeRow> three = List.of(node("n1", 10, 4), node("n2", 10, 3), node("n3", 10, 3));
        assertTrue(RebalanceTracker.balanced(three, 3));
        assertFalse(RebalanceTracker.balanced(three, 5), "the joining nodes are not listed yet");
        assertFalse(RebalanceTracker.balanced(List.of(node("n1", 6, 2), node("n2", 6, 2), node("n3", 6, 2),
                node("n4", 6, 2), new NodeRow("n5", "suspect", 6, 2)), 5));
        assertFalse(RebalanceTracker.balanced(List.of(), 0));
    }

    @Test
    void minimumIsTheNewNodesShareOfTheReplicaBytes() {
        // 2 GiB of data, RF 3: 6 GiB of replicas; 2 of 5 nodes new: 2.4 GiB.
        long gib = 1L << 30;
        assertEquals(Math.round(6 * gib * 2 / 5.0), RebalanceTracker.minimumBytes(6 * gib, 2, 5));
        assertEquals(300, RebalanceTracker.minimumBytes(1200, 1, 4));
        assertEquals(0, RebalanceTracker.minimumBytes(1200, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> RebalanceTracker.minimumBytes(1200, 3, 2));
        assertThrows(IllegalArgumentException.class, () -> RebalanceTracker.minimumBytes(-1, 1, 2));
    }

    @Test
    void replicaBytesAndBytesHeldCountEachPeerOnce() {
        List<RangePeers> ranges = List.of(new RangePeers(1, List.of("n1", "n2", "n4"), 100),
                new RangePeers(2, List.of("n4", "n5", "n3"), 50), new RangePeers(3, List.of("n1", "n2", "n3"), -1));
        assertEquals(3 * 100 + 3 * 50, RebalanceTracker.replicaBytes(ranges));
        assertEquals(100 + 50 + 50, RebalanceTracker.bytesHeldBy(ranges, Set.of("n4", "n5")));
    }

    @Test
    void countsACopyForEachPeerNewToARangeAtItsLastKnownDataBytes() {
        RebalanceTracker tracker = new RebalanceTracker();
        tracker.record(List.of(new RangePeers(1, List.of("n1", "n2", "n3"), 100),
                new RangePeers(2, List.of("n1", "n2", "n3"), 50)));
        assertEquals(0, tracker.copies(), "the first answer is the baseline");
        // n4 added to range 1 (4 peers while it catches up), range 2's leader silent.
        tracker.record(List.of(new RangePeers(1, List.of("n1", "n2", "n3", "n4"), 110),
                new RangePeers(2, List.of("n1", "n2", "n3"), -1)));
        // n1 removed from range 1; n5 added to range 2 while its leader is silent: its last known size counts.
        tracker.record(List.of(new RangePeers(1, List.of("n2", "n3", "n4"), 120),
                new RangePeers(2, List.of("n2", "n3", "n5"), -1)));
        // A range first seen now (a split's half) copies nothing.
        tracker.record(List.of(new RangePeers(1, List.of("n2", "n3", "n4"), 120),
                new RangePeers(2, List.of("n2", "n3", "n5"), 50), new RangePeers(3, List.of("n2", "n3", "n5"), 70)));
        assertEquals(2, tracker.copies());
        assertEquals(110 + 50, tracker.copiedBytes());
    }

    private static NodeRow node(String id, int replicas, int leaders) {
        return new NodeRow(id, "live", replicas, leaders);
    }
}
