package io.omendb.placement;

import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Decides where replicas and leaders go: given what the meta group records of the cluster and the time, the next
 * bounded set of {@link Operation}s that re-replicate, drain, spread and balance it.
 *
 * <p><b>Guarantees.</b>
 * <ul>
 *   <li><b>Quorum.</b> No operation it returns leaves a range without a quorum of live replicas: a replica is removed
 *       only if the range keeps {@code quorum(voters - 1)} live replicas without it, and a new replica is always added
 *       (copied, then promoted) before the one it replaces is removed. A range already below quorum gets no replica
 *       operation, since none could commit. "Live" is what the driver can know: the node was heard from within
 *       {@code nodeSuspectAfterMs}, runs the data dir the replica was created on, and is LIVE or DRAINING.</li>
 *   <li><b>One replica per node.</b> A range never gets a replica on a node already named by one of its replicas, of
 *       whatever incarnation.</li>
 *   <li><b>Limits.</b> Moves in flight (the snapshot's plus those returned) stay within {@code maxMovesTotal} and,
 *       on each node they load (the target, which receives the snapshot, and the range's leader, which sends it),
 *       within {@code maxMovesPerNode}; removals per round within {@code maxMovesTotal}; leadership transfers per
 *       round within {@code maxLeaderTransfersPerRound}. A range gets at most one replica operation per round, and
 *       none while a move of it is in flight.</li>
 *   <li><b>Identity.</b> A node unheard from for {@code nodeDeadAfterMs} is declared DEAD (recorded, so it stays dead
 *       when it comes back) and its replicas are re-created elsewhere. If it comes back with the same data, its
 *       replicas are STALE: never counted again, replaced like lost ones and removed once replaced (not before: where
 *       there is no other node for them, removing them would only leave their ranges a replica short for good); a
 *       node whose incarnation changed is a new member, and replicas of its old incarnation are FORGOTTEN, removed at
 *       once.</li>
 *   <li><b>Convergence.</b> Once membership stops changing, repeated rounds (moves completing between them) bring
 *       every range to {@code replicationFactor} replicas on LIVE nodes, spanning {@code min(replicationFactor,
 *       zones)} zones, and every LIVE node within ±1 of its replica share ({@link BalanceTargets}) and of the mean
 *       leader count: each balance step lowers a sum of squares (see {@link ReplicaBalancer}), so it cannot cycle.
 *       The simulation tests check this over many seeds and at 100,000 ranges.</li>
 *   <li><b>Determinism.</b> Same snapshot and time, same operations: nodes and ranges are visited in id order and
 *       every tie is broken by id. No randomness is used.</li>
 * </ul>
 *
 * <p><b>A round</b> ({@link #nextOperations}) runs the rules in priority order, each on the cluster as the earlier
 * decisions of the round leave it: node states (declare dead, remove drained nodes); {@link RangeRepair} (rules a,
 * b, e, f: under-replicated ranges first, fewest live replicas first); then, only when no repair is under way (none
 * decided this round, no re-replication in flight), {@link ReplicaBalancer} (c, replicas) and {@link LeaderBalancer}
 * (c, leaders). Balancing waits for repairs because a repair puts replicas where a range needs them, not where the
 * balance wants them: run side by side, the two could move one replica back and forth; run one after the other,
 * every balance step lowers the balance's measure and none is ever undone.
 *
 * <p><b>Cost.</b> A round is O(replicas) to index the snapshot plus O(zones * log nodes) per move and O(log nodes)
 * per transfer; when zones block every direct balance step, a bounded number of chain searches of O(replicas) each.
 * {@code PlacementSimulationTest#largeCluster} prints it for 100,000 ranges on 2,000 nodes.
 *
 * <p><b>Stateless.</b> Everything it needs is in the snapshot (moves in flight included), so the driver can run on
 * whichever node leads the meta group and restart with it; it keeps nothing between rounds. Thread-safe: a round
 * shares nothing with another.
 */
public final class PlacementDriver {
    private final PlacementLimits limits;
    private final LongSupplier clockMs;

    public PlacementDriver(PlacementLimits limits, LongSupplier clockMs) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clockMs = Objects.requireNonNull(clockMs, "clockMs");
    }

    /** The operations to start now, in the order they were decided (most urgent first). */
    public List<Operation> nextOperations(ClusterSnapshot snapshot) {
        ClusterView view = new ClusterView(snapshot, limits, clockMs.getAsLong());
        recordNodeStates(view);
        new RangeRepair(view).run();
        if (!view.repairing()) {
            new ReplicaBalancer(view).run();
            new LeaderBalancer(view).run();
        }
        return view.operations();
    }

    /**
     * Ranges with fewer than {@code replicationFactor} GOOD replicas (on a LIVE node, of its current incarnation):
     * those a lost, suspect or draining replica leaves short, and those whose new replica is still being copied (a
     * move's target counts only once it has joined the range's voters). What {@code omendb_ranges_under_replicated}
     * reports.
     */
    public int underReplicated(ClusterSnapshot snapshot) {
        ClusterView view = new ClusterView(snapshot, limits, clockMs.getAsLong());
        int under = 0;
        for (int r = 0; r < view.ranges.length; r++) {
            int good = 0;
            for (ReplicaStatus s : view.status[r]) {
                good += s == ReplicaStatus.GOOD ? 1 : 0;
            }
            under += good < limits.replicationFactor() ? 1 : 0;
        }
        return under;
    }

    /** Declares dead the nodes unheard from for too long; removes drained nodes that hold nothing any more. */
    private static void recordNodeStates(ClusterView view) {
        for (int n = 0; n < view.nodes.length; n++) {
            NodeState recorded = view.nodes[n].state();
            boolean member = recorded == NodeState.LIVE || recorded == NodeState.DRAINING;
            if (member && view.state[n] == NodeState.DEAD) {
                view.setNodeState(n, NodeState.DEAD);
            } else if (view.state[n] == NodeState.DRAINING && view.held[n] == 0) {
                view.setNodeState(n, NodeState.REMOVED);
            }
        }
    }
}
