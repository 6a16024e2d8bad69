package io.omendb.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One round's picture of the cluster, indexed for the rules, and the operations decided so far in the round.
 *
 * <p>Built in O(replicas) from a {@link ClusterSnapshot} and the time: nodes and ranges sorted by id (so every
 * iteration, hence every tie, is in id order), each node's effective {@link NodeState}, each replica's
 * {@link ReplicaStatus}, and per-node counters. Counters are projected: a move in flight counts as done (its target
 * has the replica, its source has not), and every operation decided in this round updates them at once, so later
 * decisions in the round see the cluster as it will be. A range gets at most one replica operation per round and
 * none while a move of it is in flight ({@link #busy}).
 *
 * <p>Not thread-safe: one round, one thread, then dropped.
 */
final class ClusterView {
    final PlacementLimits limits;
    final long nowMs;
    final Node[] nodes;
    final NodeState[] state;
    final int[] zone;
    final int zoneCount;
    final int liveZoneCount;
    final double[] share;
    final Range[] ranges;
    final int[][] replicaNode;
    final ReplicaStatus[][] status;
    /** Per range, its leader's node when the leader is a GOOD or LEAVING replica, else -1. */
    final int[] leaderNode;
    /** Per range, the node named as its leader whatever its state (it sends the snapshots of moves), else -1. */
    private final int[] sender;
    final int[] replicas;
    final int[] held;
    final int[] leaders;
    final double[] leaderLoad;
    final int[] movesTouching;
    final boolean[] busy;
    /** Per range, the index of the replica a joined move replaces and that is still to be removed, else -1. */
    final int[] pendingRemoval;
    private final boolean[] leaderMoved;
    final TargetIndex targets;
    private final Map<String, Integer> nodeIndex = new HashMap<>();
    /** A repair (a move replacing no GOOD replica, or an operation of {@link RangeRepair}) is under way. */
    private boolean repairing;
    private final List<Operation> operations = new ArrayList<>();
    private int movesTotal;
    private int removalsLeft;
    private int transfersLeft;

    ClusterView(ClusterSnapshot snapshot, PlacementLimits limits, long nowMs) {
        this.limits = limits;
        this.nowMs = nowMs;
        nodes = snapshot.nodes().toArray(Node[]::new);
        Arrays.sort(nodes, Comparator.comparing(Node::id));
        ranges = snapshot.ranges().toArray(Range[]::new);
        Arrays.sort(ranges, Comparator.comparingLong(Range::id));
        int n = nodes.length;
        state = new NodeState[n];
        zone = new int[n];
        TreeMap<String, Integer> zoneIds = new TreeMap<>();
        for (Node node : nodes) {
            zoneIds.put(node.zone(), 0);
        }
        int z = 0;
        for (Map.Entry<String, Integer> e : zoneIds.entrySet()) {
            e.setValue(z++);
        }
        zoneCount = z;
        int[] livePerZone = new int[zoneCount];
        for (int i = 0; i < n; i++) {
            if (nodeIndex.put(nodes[i].id(), i) != null) {
                throw new IllegalArgumentException("node " + nodes[i].id() + " listed twice");
            }
            state[i] = effectiveState(nodes[i]);
            zone[i] = zoneIds.get(nodes[i].zone());
            if (state[i] == NodeState.LIVE) {
                livePerZone[zone[i]]++;
            }
        }
        liveZoneCount = (int) Arrays.stream(livePerZone).filter(c -> c > 0).count();
        share = shares(livePerZone);
        replicaNode = new int[ranges.length][];
        status = new ReplicaStatus[ranges.length][];
        leaderNode = new int[ranges.length];
        sender = new int[ranges.length];
        replicas = new int[n];
        held = new int[n];
        leaders = new int[n];
        leaderLoad = new double[n];
        movesTouching = new int[n];
        busy = new boolean[ranges.length];
        pendingRemoval = new int[ranges.length];
        Arrays.fill(pendingRemoval, -1);
        leaderMoved = new boolean[ranges.length];
        indexRanges();
        indexMoves(snapshot.moves());
        targets = new TargetIndex(this);
        removalsLeft = limits.maxMovesTotal();
        transfersLeft = limits.maxLeaderTransfersPerRound();
    }

    private NodeState effectiveState(Node node) {
        if (node.state() == NodeState.DEAD || node.state() == NodeState.REMOVED) {
            return node.state();
        }
        long unseenMs = nowMs - node.lastSeenMs();
        if (unseenMs >= limits.nodeDeadAfterMs()) {
            return NodeState.DEAD;
        }
        return unseenMs >= limits.nodeSuspectAfterMs() ? NodeState.SUSPECT : node.state();
    }

    private double[] shares(int[] livePerZone) {
        int[] liveZones = Arrays.stream(livePerZone).filter(c -> c > 0).toArray();
        double[] perLiveZone = BalanceTargets.sharePerNode(liveZones, ranges.length, limits.replicationFactor());
        double[] perZone = new double[livePerZone.length];
        for (int z = 0, live = 0; z < livePerZone.length; z++) {
            if (livePerZone[z] > 0) {
                perZone[z] = perLiveZone[live++];
            }
        }
        double[] perNode = new double[nodes.length];
        for (int i = 0; i < nodes.length; i++) {
            perNode[i] = state[i] == NodeState.LIVE ? perZone[zone[i]] : 0;
        }
        return perNode;
    }

    private void indexRanges() {
        for (int r = 0; r < ranges.length; r++) {
            if (r > 0 && ranges[r].id() == ranges[r - 1].id()) {
                throw new IllegalArgumentException("range " + ranges[r].id() + " listed twice");
            }
            List<Replica> reps = ranges[r].replicas();
            replicaNode[r] = new int[reps.size()];
            status[r] = new ReplicaStatus[reps.size()];
            leaderNode[r] = -1;
            sender[r] = ranges[r].leaderNodeId() == null ? -1 : nodeIndex(ranges[r].leaderNodeId());
            for (int i = 0; i < reps.size(); i++) {
                int node = nodeIndex(reps.get(i).nodeId());
                replicaNode[r][i] = node;
                if (node >= 0) {
                    held[node]++;
                }
                status[r][i] = statusOf(reps.get(i), node);
                if (status[r][i] == ReplicaStatus.GOOD) {
                    replicas[node]++;
                    if (reps.get(i).nodeId().equals(ranges[r].leaderNodeId())) {
                        leaderNode[r] = node;
                        leaders[node]++;
                        leaderLoad[node] += ranges[r].loadOpsPerSec();
                    }
                } else if (status[r][i] == ReplicaStatus.LEAVING
                        && reps.get(i).nodeId().equals(ranges[r].leaderNodeId())) {
                    leaderNode[r] = node;
                }
            }
        }
    }

    private ReplicaStatus statusOf(Replica replica, int node) {
        if (node < 0) {
            return ReplicaStatus.LOST;
        }
        if (nodes[node].incarnation() != replica.incarnation()) {
            return heardFrom(node) ? ReplicaStatus.FORGOTTEN : ReplicaStatus.LOST;
        }
        return switch (state[node]) {
            case LIVE -> ReplicaStatus.GOOD;
            case SUSPECT -> ReplicaStatus.SUSPECT;
            case DRAINING -> ReplicaStatus.LEAVING;
            case REMOVED -> ReplicaStatus.LOST;
            case DEAD -> nodes[node].state() == NodeState.DEAD && heardFrom(node)
                    ? ReplicaStatus.STALE : ReplicaStatus.LOST;
        };
    }

    boolean heardFrom(int node) {
        return nowMs - nodes[node].lastSeenMs() < limits.nodeSuspectAfterMs();
    }

    private void indexMoves(List<Move> moves) {
        for (Move m : moves) {
            int r = rangeIndex(m.rangeId());
            if (r < 0) {
                continue;
            }
            int source = m.sourceNodeId() == null ? -1 : nodeIndex(m.sourceNodeId());
            int i = replicaIndexOn(r, source);
            if (m.joined()) {
                pendingRemoval[r] = i;
            } else {
                busy[r] = true;
                countMove(r, m.target());
                repairing |= i < 0 || status[r][i] != ReplicaStatus.GOOD;
            }
            if (i >= 0 && status[r][i] == ReplicaStatus.GOOD) {
                replicas[source]--;
            }
        }
    }

    /** A copy in flight loads its target and sender, and its target counts as holding the replica already. */
    private void countMove(int r, Replica target) {
        int node = nodeIndex(target.nodeId());
        touch(node, r);
        if (node >= 0) {
            held[node]++;
            if (state[node] == NodeState.LIVE && nodes[node].incarnation() == target.incarnation()) {
                replicas[node]++;
            }
        }
    }

    int nodeIndex(String id) {
        Integer i = nodeIndex.get(id);
        return i == null ? -1 : i;
    }

    int rangeIndex(long id) {
        int lo = 0;
        int hi = ranges.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long midId = ranges[mid].id();
            if (midId < id) {
                lo = mid + 1;
            } else if (midId > id) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** The index in range {@code r}'s replica list of its replica on {@code node}, or -1. */
    int replicaIndexOn(int r, int node) {
        if (node < 0) {
            return -1;
        }
        for (int i = 0; i < replicaNode[r].length; i++) {
            if (replicaNode[r][i] == node) {
                return i;
            }
        }
        return -1;
    }

    int countLive(int r) {
        int live = 0;
        for (ReplicaStatus s : status[r]) {
            live += s.live() ? 1 : 0;
        }
        return live;
    }

    int countKept(int r) {
        int kept = 0;
        for (ReplicaStatus s : status[r]) {
            kept += s.kept() ? 1 : 0;
        }
        return kept;
    }

    /** Zones a range should span: one per replica, or all there are. */
    int zonesWanted() {
        return Math.min(limits.replicationFactor(), liveZoneCount);
    }

    /** Counts range {@code r}'s kept replicas per zone into {@code perZone} (zeroed first), leaving out index skip. */
    int zonesUsed(int r, int skip, int[] perZone) {
        Arrays.fill(perZone, 0);
        int used = 0;
        for (int i = 0; i < replicaNode[r].length; i++) {
            if (i != skip && status[r][i].kept() && perZone[zone[replicaNode[r][i]]]++ == 0) {
                used++;
            }
        }
        return used;
    }

    double surplus(int node) {
        return replicas[node] - share[node];
    }

    boolean saturated(int node) {
        return node >= 0 && movesTouching[node] >= limits.maxMovesPerNode();
    }

    boolean movesLeft() {
        return movesTotal < limits.maxMovesTotal();
    }

    /** A new move of range {@code r} to {@code target} stays within the limits (its sender is the range's leader). */
    boolean canStartMove(int r, int target) {
        return movesLeft() && !saturated(target) && !saturated(sender[r]);
    }

    /** Two moves started together stay within the limits (they may load the same node twice). */
    boolean canStartMoves(int r1, int target1, int r2, int target2) {
        if (movesTotal + 2 > limits.maxMovesTotal()) {
            return false;
        }
        int[] loaded = {target1, sender[r1] == target1 ? -1 : sender[r1], target2,
                sender[r2] == target2 ? -1 : sender[r2]};
        for (int n : loaded) {
            int times = 0;
            for (int m : loaded) {
                times += m == n ? 1 : 0;
            }
            if (n >= 0 && movesTouching[n] + times > limits.maxMovesPerNode()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Counts a move against the limits: it loads its target (which receives the snapshot) and the range's leader
     * (which sends it); the replica it replaces does no work until it is removed, and may be on a dead node.
     */
    private void touch(int target, int r) {
        movesTotal++;
        if (target >= 0) {
            movesTouching[target]++;
        }
        if (sender[r] >= 0 && sender[r] != target) {
            movesTouching[sender[r]]++;
        }
    }

    /** Starts copying a replica of range {@code r} to {@code target}, to replace replica index {@code source}. */
    void startMove(int r, int target, int source) {
        int sourceNode = source < 0 ? -1 : replicaNode[r][source];
        operations.add(new Operation.AddReplica(ranges[r].id(),
                new Replica(nodes[target].id(), nodes[target].incarnation()),
                sourceNode < 0 ? null : nodes[sourceNode].id()));
        touch(target, r);
        busy[r] = true;
        targets.adjust(target, 1);
        if (source >= 0 && status[r][source] == ReplicaStatus.GOOD) {
            targets.adjust(sourceNode, -1);
        }
    }

    boolean removalsLeft() {
        return removalsLeft > 0;
    }

    /** Removing replica index {@code i} leaves range {@code r} a quorum of live replicas (Raft can commit it). */
    boolean keepsQuorum(int r, int i) {
        int live = countLive(r) - (status[r][i].live() ? 1 : 0);
        return live >= PlacementLimits.quorum(replicaNode[r].length - 1);
    }

    void removeReplica(int r, int i) {
        operations.add(new Operation.RemoveReplica(ranges[r].id(), ranges[r].replicas().get(i)));
        busy[r] = true;
        removalsLeft--;
        if (status[r][i] == ReplicaStatus.GOOD && pendingRemoval[r] != i) { // a joined move's source: counted gone
            targets.adjust(replicaNode[r][i], -1);
        }
        status[r][i] = ReplicaStatus.LOST; // gone: later rules of the round must not pick it (as a leader, say)
    }

    boolean transfersLeft() {
        return transfersLeft > 0;
    }

    int transfersLeftCount() {
        return transfersLeft;
    }

    /** Whether a rule may still hand range {@code r}'s leadership on this round (once per range per round). */
    boolean mayTransferLeader(int r) {
        return transfersLeft > 0 && !leaderMoved[r];
    }

    void transferLeader(int r, int to) {
        int from = leaderNode[r];
        operations.add(new Operation.TransferLeader(ranges[r].id(), ranges[r].leaderNodeId(), nodes[to].id()));
        transfersLeft--;
        leaderMoved[r] = true;
        double load = ranges[r].loadOpsPerSec();
        if (from >= 0 && state[from] == NodeState.LIVE) {
            leaders[from]--;
            leaderLoad[from] -= load;
        }
        leaders[to]++;
        leaderLoad[to] += load;
        leaderNode[r] = to;
        sender[r] = to;
    }

    /** Whether replica index {@code i} of range {@code r} is the one its leader runs on. */
    boolean leads(int r, int i) {
        return ranges[r].replicas().get(i).nodeId().equals(ranges[r].leaderNodeId());
    }

    /** The GOOD replica of range {@code r} best placed to lead it: fewest leaders, then least led load, then id. */
    int bestLeaderFor(int r, int except) {
        int best = -1;
        for (int i = 0; i < replicaNode[r].length; i++) {
            int n = replicaNode[r][i];
            if (status[r][i] != ReplicaStatus.GOOD || n == except) {
                continue;
            }
            if (best < 0 || leaders[n] < leaders[best]
                    || leaders[n] == leaders[best] && leaderLoad[n] < leaderLoad[best]
                    || leaders[n] == leaders[best] && leaderLoad[n] == leaderLoad[best] && n < best) {
                best = n;
            }
        }
        return best;
    }

    void setNodeState(int node, NodeState newState) {
        operations.add(new Operation.SetNodeState(nodes[node].id(), nodes[node].incarnation(), newState));
    }

    boolean repairing() {
        return repairing || !operations.isEmpty();
    }

    List<Operation> operations() {
        return List.copyOf(operations);
    }
}
