package io.omendb.placement;

import io.omendb.placement.Operation.AddReplica;
import io.omendb.placement.Operation.RemoveReplica;
import io.omendb.placement.Operation.SetNodeState;
import io.omendb.placement.Operation.TransferLeader;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One test per rule of {@link PlacementDriver}, on hand-made snapshots at a fixed time. */
class PlacementDriverTest {
    private static final long NOW_MS = 1_000_000;
    private static final PlacementLimits LIMITS = PlacementLimits.defaults();

    // ---- (a) dead nodes ----

    @Test
    void deadNodeIsDeclaredDeadAndItsReplicaRecreatedInAZoneTheRangeDoesNotUse() {
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z1"), seenAgo("n2", "z2", 300_000),
                live("n3", "z0"), live("n4", "z2"));
        List<Operation> ops = decide(nodes, List.of(range(1, "n0", "n1", "n2")), List.of());
        assertTrue(ops.contains(new SetNodeState("n2", 0, NodeState.DEAD)), ops.toString());
        assertEquals(List.of(new AddReplica(1, new Replica("n4", 0), "n2")), only(ops, AddReplica.class));
    }

    @Test
    void nodeUnseenForLessThanTheDeadTimeIsOnlySuspect() {
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z1"), seenAgo("n2", "z2", 299_999), live("n3", "z2"));
        List<Operation> ops = decide(nodes, List.of(range(1, "n0", "n1", "n2")), List.of());
        assertEquals(List.of(), ops);
    }

    @Test
    void deadReplicaIsRemovedOnceItsReplacementJoined() {
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z1"), dead("n2", "z2"), live("n3", "z2"));
        Range range = range(1, "n0", "n1", "n2", "n3");
        List<Operation> ops = decide(nodes, List.of(range), List.of(joined(1, "n3", "n2")));
        assertEquals(List.of(new RemoveReplica(1, new Replica("n2", 0))), ops);
    }

    @Test
    void removalThatWouldLeaveNoQuorumOfLiveReplicasIsNotMade() {
        // 5 voters, 2 of them on suspect nodes: removing the draining one would leave 2 live of 4 (quorum 3)
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z0"), seenAgo("n2", "z0", 20_000),
                seenAgo("n3", "z0", 20_000), draining("n4", "z0"));
        List<Operation> ops = decide(nodes, List.of(range(1, "n0", "n1", "n2", "n3", "n4")), List.of());
        assertEquals(List.of(), only(ops, RemoveReplica.class));
    }

    @Test
    void rangeWithoutAQuorumOfLiveReplicasGetsNoReplicaOperation() {
        List<Node> nodes = List.of(live("n0", "z0"), dead("n1", "z1"), dead("n2", "z2"), live("n3", "z1"));
        List<Operation> ops = decide(nodes, List.of(range(1, "n0", "n1", "n2")), List.of());
        assertEquals(List.of(), only(ops, AddReplica.class));
        assertEquals(List.of(), only(ops, RemoveReplica.class));
    }

    // ---- (b) draining ----

    @Test
    void drainingNodeGetsAReplacementFirstThenHandsOverLeadershipThenLosesItsReplica() {
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z1"), draining("n2", "z2"), live("n3", "z2"));
        Range before = led(range(1, "n2", "n0", "n1"), "n2");
        assertEquals(List.of(new AddReplica(1, new Replica("n3", 0), "n2")),
                only(decide(nodes, List.of(before), List.of()), AddReplica.class));
        Range after = led(range(1, "n2", "n0", "n1", "n3"), "n2");
        List<Operation> ops = decide(nodes, List.of(after), List.of(joined(1, "n3", "n2")));
        assertEquals(1, only(ops, TransferLeader.class).size(), ops.toString());
        assertEquals(List.of(), only(ops, RemoveReplica.class));
        Range handedOver = led(after, "n0");
        assertEquals(List.of(new RemoveReplica(1, new Replica("n2", 0))),
                decide(nodes, List.of(handedOver), List.of(joined(1, "n3", "n2"))));
    }

    @Test
    void drainedNodeIsRemoved() {
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z1"), live("n2", "z2"), draining("n3", "z0"));
        List<Operation> ops = decide(nodes, List.of(range(1, "n0", "n1", "n2")), List.of());
        assertEquals(List.of(new SetNodeState("n3", 0, NodeState.REMOVED)), ops);
    }

    // ---- (c) balance ----

    @Test
    void replicasMoveToAnEmptyNodeWithinThePerNodeLimit() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nodes.add(live("n" + i, "z0"));
        }
        List<Range> ranges = new ArrayList<>();
        for (int r = 0; r < 12; r++) {
            ranges.add(range(r, "n" + (r % 3), "n" + ((r + 1) % 3), "n" + ((r + 2) % 3)));
        }
        PlacementLimits twoPerNode = new PlacementLimits(3, 10_000, 300_000, 2, 64, 64);
        List<AddReplica> adds = only(decide(twoPerNode, nodes, ranges, List.of()), AddReplica.class);
        assertEquals(2, adds.size(), adds.toString());
        adds.forEach(a -> assertEquals("n3", a.target().nodeId()));
    }

    @Test
    void movesInFlightCountAgainstTheTotal() {
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z1"), dead("n2", "z2"), live("n3", "z2"),
                live("n4", "z2"));
        List<Range> ranges = List.of(range(1, "n0", "n1", "n2"), range(2, "n0", "n1", "n2"));
        PlacementLimits oneMove = new PlacementLimits(3, 10_000, 300_000, 4, 1, 64);
        assertEquals(1, only(decide(oneMove, nodes, ranges, List.of()), AddReplica.class).size());
        Move inFlight = new Move(1, new Replica("n3", 0), "n2", NOW_MS - 1, false);
        assertEquals(List.of(), only(decide(oneMove, nodes, ranges, List.of(inFlight)), AddReplica.class));
    }

    @Test
    void leadersSpreadByCountThenToTheLeastLoadedNode() {
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z0"), live("n2", "z0"));
        List<Range> ranges = new ArrayList<>();
        for (int r = 0; r < 6; r++) {
            ranges.add(new Range(r, replicas("n0", "n1", "n2"), "n0", 1, 100 - r));
        }
        List<TransferLeader> transfers = only(decide(nodes, ranges, List.of()), TransferLeader.class);
        Map<String, Long> leaders = new TreeMap<>(Map.of("n0", 6L - transfers.size()));
        transfers.forEach(t -> leaders.merge(t.toNodeId(), 1L, Long::sum));
        // every node within ±1 of the mean (2), and no transfer beyond what that needs
        assertEquals(Map.of("n0", 3L, "n1", 1L, "n2", 2L), leaders);
        // the busiest range goes first, to n1 (a tie on count and load, broken by id), the next to n2 (fewer leaders),
        // the third to n2 again: n1 and n2 lead one range each, n2's is the less loaded (99 against 100 ops/s)
        assertEquals(List.of(new TransferLeader(0, "n0", "n1"), new TransferLeader(1, "n0", "n2"),
                new TransferLeader(2, "n0", "n2")), transfers);
    }

    // ---- (e) zones ----

    @Test
    void rangeInADoubledZoneMovesAReplicaToAZoneItDoesNotUse() {
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z0"), live("n2", "z1"), live("n3", "z2"));
        List<Operation> ops = decide(nodes, List.of(range(1, "n0", "n1", "n2")), List.of());
        List<AddReplica> adds = only(ops, AddReplica.class);
        assertEquals(1, adds.size(), ops.toString());
        assertEquals("n3", adds.get(0).target().nodeId());
        assertTrue(List.of("n0", "n1").contains(adds.get(0).sourceNodeId()));
    }

    // ---- (f) identity ----

    @Test
    void replicaOfANodeDeclaredDeadThatComesBackIsReplacedThenRemovedNotResurrected() {
        Node back = new Node("n2", "z2", NodeState.DEAD, NOW_MS, 0);
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z1"), back, live("n3", "z2"));
        assertEquals(List.of(new AddReplica(1, new Replica("n3", 0), "n2")),
                decide(nodes, List.of(range(1, "n0", "n1", "n2")), List.of()), "replaced first, on a live node");
        assertEquals(List.of(new RemoveReplica(1, new Replica("n2", 0))),
                decide(nodes, List.of(range(1, "n0", "n1", "n2", "n3")), List.of(joined(1, "n3", "n2"))),
                "then removed, never counted again");
    }

    @Test
    void replicaOfANodeDeclaredDeadThatComesBackStaysWhileNoOtherNodeCanTakeItsPlace() {
        Node back = new Node("n2", "z2", NodeState.DEAD, NOW_MS, 0);
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z1"), back);
        assertEquals(List.of(), decide(nodes, List.of(range(1, "n0", "n1", "n2")), List.of()),
                "removing it would leave the range two replicas for good");
    }

    @Test
    void nodeWithANewIncarnationLosesItsOldReplicasAndIsThenANewMember() {
        Node wiped = new Node("n2", "z2", NodeState.LIVE, NOW_MS, 7);
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z1"), wiped);
        assertEquals(List.of(new RemoveReplica(1, new Replica("n2", 0))),
                decide(nodes, List.of(range(1, "n0", "n1", "n2")), List.of()));
        assertEquals(List.of(new AddReplica(1, new Replica("n2", 7), null)),
                decide(nodes, List.of(range(1, "n0", "n1")), List.of()));
    }

    // ---- determinism ----

    @Test
    void sameSnapshotInAnyOrderGivesTheSameOperations() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            nodes.add(i == 5 ? dead("n" + i, "z" + i % 3) : live("n" + i, "z" + i % 3));
        }
        List<Range> ranges = new ArrayList<>();
        for (int r = 0; r < 60; r++) {
            ranges.add(led(range(r, "n" + r % 6, "n" + (r + 1) % 6, "n" + (r + 2) % 6), "n" + r % 6));
        }
        List<Operation> first = decide(nodes, ranges, List.of());
        assertTrue(first.size() > 10, first.toString());
        Random random = new Random(42);
        for (int i = 0; i < 5; i++) {
            List<Node> shuffledNodes = new ArrayList<>(nodes);
            List<Range> shuffledRanges = new ArrayList<>(ranges);
            Collections.shuffle(shuffledNodes, random);
            Collections.shuffle(shuffledRanges, random);
            assertEquals(first, decide(shuffledNodes, shuffledRanges, List.of()));
        }
    }

    // ---- helpers ----

    // ---- under-replicated ranges (the metric) ----

    @Test
    void rangesShortOfGoodReplicasCountAsUnderReplicated() {
        List<Node> nodes = List.of(live("n0", "z0"), live("n1", "z1"), draining("n2", "z2"), live("n3", "z2"),
                seenAgo("n4", "z0", 20_000));
        List<Range> ranges = List.of(range(1, "n0", "n1", "n3"), range(2, "n0", "n1", "n2"),
                range(3, "n0", "n1", "n4"), range(4, "n0", "n1"));
        PlacementDriver driver = new PlacementDriver(LIMITS, () -> NOW_MS);
        assertEquals(3, driver.underReplicated(new ClusterSnapshot(nodes, ranges, List.of())),
                "draining (2), suspect (3) and missing (4) replicas leave a range short; range 1 is whole");
        Move copying = new Move(4, new Replica("n3", 0), null, NOW_MS, false);
        assertEquals(3, driver.underReplicated(new ClusterSnapshot(nodes, ranges, List.of(copying))),
                "a replica still being copied does not count yet");
    }

    private static List<Operation> decide(List<Node> nodes, List<Range> ranges, List<Move> moves) {
        return decide(LIMITS, nodes, ranges, moves);
    }

    private static List<Operation> decide(PlacementLimits limits, List<Node> nodes, List<Range> ranges,
                                          List<Move> moves) {
        return new PlacementDriver(limits, () -> NOW_MS).nextOperations(new ClusterSnapshot(nodes, ranges, moves));
    }

    private static <T extends Operation> List<T> only(List<Operation> ops, Class<T> type) {
        return ops.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
    }

    private static Node live(String id, String zone) {
        return new Node(id, zone, NodeState.LIVE, NOW_MS, 0);
    }

    private static Node seenAgo(String id, String zone, long agoMs) {
        return new Node(id, zone, NodeState.LIVE, NOW_MS - agoMs, 0);
    }

    private static Node dead(String id, String zone) {
        return new Node(id, zone, NodeState.DEAD, NOW_MS - 400_000, 0);
    }

    private static Node draining(String id, String zone) {
        return new Node(id, zone, NodeState.DRAINING, NOW_MS, 0);
    }

    private static List<Replica> replicas(String... nodeIds) {
        List<Replica> list = new ArrayList<>();
        for (String id : nodeIds) {
            list.add(new Replica(id, 0));
        }
        return list;
    }

    /** A range led by its first replica. */
    private static Range range(long id, String... nodeIds) {
        return new Range(id, replicas(nodeIds), nodeIds[0], 1 << 20, 10);
    }

    private static Range led(Range range, String leader) {
        return range.withReplicas(range.replicas(), leader);
    }

    private static Move joined(long rangeId, String target, String source) {
        return new Move(rangeId, new Replica(target, 0), source, NOW_MS - 10_000, true);
    }
}
