package io.omendb.placement;

import java.util.List;

/** What the meta group records of the cluster's shape at one instant: its nodes, ranges and moves in flight. */
public record ClusterSnapshot(List<Node> nodes, List<Range> ranges, List<Move> moves) {
    public ClusterSnapshot {
        nodes = List.copyOf(nodes);
        ranges = List.copyOf(ranges);
        moves = List.copyOf(moves);
    }
}
