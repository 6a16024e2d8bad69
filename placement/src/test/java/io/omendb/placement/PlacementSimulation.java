package io.omendb.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A seeded, single-threaded simulation of a cluster run by the {@link PlacementDriver}, on a fake clock, with no I/O
 * (in the style of Kafka's {@code RaftEventSimulationTest}).
 *
 * <p><b>What is simulated.</b> Nodes heartbeat while up; the meta group's record is the {@link ClusterSnapshot} the
 * driver reads each round. A move copies the range's snapshot for {@code moveFixedMs + sizeBytes / bytesPerSec} and
 * then joins the voters if its target is still up with the same data; removals, leadership transfers and node-state
 * records apply at once. A range whose leader is not serving elects one of its serving replicas (seeded choice) when
 * a quorum of them is serving. Faults, drawn from the seed during the first {@code faultPhaseMs}: crashes that last
 * less than the suspect time, less than the dead time, longer (the node returns with its old data after being
 * declared dead), or for ever; wipes (the node returns as a new incarnation); joins; drains; ranges growing.
 *
 * <p><b>Fault guard.</b> The simulation never lets a fault itself take a range below a quorum of serving replicas,
 * nor leave fewer than {@code replicationFactor + 1} LIVE nodes up, and lets at most one node fail per
 * {@code nodeSuspectAfterMs} (the driver cannot see a failure younger than that); otherwise convergence could be
 * impossible for reasons that are no decision of the driver's.
 *
 * <p><b>Checked after every round</b> (a violation ends the run with its description): every removal keeps a quorum
 * of live replicas as the driver could know it and never removes the leader's replica; no add targets a node the
 * range already names or a range with a move in flight; every add stays within {@code maxMovesPerNode} and
 * {@code maxMovesTotal}; nodes are declared dead only after {@code nodeDeadAfterMs} unseen and removed only when
 * drained; while membership stays put, no range is rebalanced from one node to another and back (no flapping).
 * At the end
 * (faults over, returns done, nothing in flight, a round with nothing to do): every range has
 * {@code replicationFactor} serving replicas on LIVE nodes spanning {@code min(replicationFactor, zones)} zones, and
 * every LIVE node is within ±1 of its replica share and of the mean leader count.
 */
final class PlacementSimulation {
    /** The shape of a run. */
    record Config(int nodes, int ranges, int zones, PlacementLimits limits, long faultPhaseMs, int faults,
                  long bytesPerSec, long moveFixedMs, long tickMs, int roundsMax, long rangeBytesMax, Layout layout) {
        Config(int nodes, int ranges, int zones, PlacementLimits limits, long faultPhaseMs, int faults,
               long bytesPerSec, long moveFixedMs, long tickMs, int roundsMax, long rangeBytesMax) {
            this(nodes, ranges, zones, limits, faultPhaseMs, faults, bytesPerSec, moveFixedMs, tickMs, roundsMax,
                    rangeBytesMax, Layout.SPREAD);
        }

        Config withLayout(Layout l) {
            return new Config(nodes, ranges, zones, limits, faultPhaseMs, faults, bytesPerSec, moveFixedMs, tickMs,
                    roundsMax, rangeBytesMax, l);
        }
    }

    /** Where the initial nodes' zones and the initial ranges' replicas are. Nodes that join later: as SPREAD. */
    enum Layout {
        /** Node k in zone k mod zones, range i on nodes rf * i + j: consecutive nodes, so (mostly) distinct zones. */
        SPREAD,
        /**
         * The nodes listed zone by zone (node k in zone k * zones / nodes, as an operator's members list may be) and
         * range i on nodes i + j, as {@code ClusterLayout} places a cluster's initial ranges over its members: many
         * ranges start with two replicas in one zone, which the driver must spread.
         */
        CONFIG_ORDER
    }

    /** What a run did. {@code failure} is null when every check held and it converged. */
    record Outcome(long seed, String failure, int rounds, long simMs, long convergedAfterFaultsMs, long adds,
                   long addsLowerBound, long bytesMoved, long removals, long transfers, long driverNanosMax,
                   long driverNanosTotal, int liveNodes, String faultLog) {
        boolean ok() {
            return failure == null;
        }
    }

    private static final class SimNode {
        final String id;
        final String zone;
        NodeState recorded = NodeState.LIVE;
        long incarnation;
        boolean up = true;
        long lastSeenMs;

        SimNode(String id, String zone, long incarnation) {
            this.id = id;
            this.zone = zone;
            this.incarnation = incarnation;
        }
    }

    /** {@code rebalancing}: the move replaces a serving replica on a LIVE node (not a repair). */
    private record InFlight(Move move, long finishAtMs, long sizeBytes, boolean rebalancing) {
    }

    private record Event(long atMs, long seq, Runnable action) {
    }

    private final long seed;
    private final Config config;
    private final PlacementLimits limits;
    private final Random random;
    private final PlacementDriver driver;
    private final Map<String, SimNode> nodes = new HashMap<>();
    private final TreeMap<String, SimNode> nodesById = new TreeMap<>();
    private final Range[] ranges;
    private final List<InFlight> moves = new ArrayList<>();
    private final PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.atMs != b.atMs
            ? Long.compare(a.atMs, b.atMs) : Long.compare(a.seq, b.seq));
    private final Map<String, Integer> initialCounts = new HashMap<>();
    private final Set<String> rebalancedSinceMembershipChanged = new HashSet<>();
    private final StringBuilder faultLog = new StringBuilder();
    private long nowMs;
    private long eventSeq;
    private int nextNodeNumber;
    private long lastCrashMs = Long.MIN_VALUE / 2;
    private long adds;
    private long bytesMoved;
    private long removals;
    private long transfers;
    private long driverNanosMax;
    private long driverNanosTotal;
    private String failure;

    PlacementSimulation(long seed, Config config) {
        this.seed = seed;
        this.config = config;
        this.limits = config.limits();
        this.random = new Random(seed);
        this.driver = new PlacementDriver(limits, () -> nowMs);
        for (int i = 0; i < config.nodes(); i++) {
            addNode(config.layout() == Layout.SPREAD ? i % config.zones() : (int) ((long) i * config.zones()
                    / config.nodes()));
        }
        ranges = new Range[config.ranges()];
        placeRangesEvenly();
        for (Range r : ranges) {
            for (Replica x : r.replicas()) {
                initialCounts.merge(x.nodeId(), 1, Integer::sum);
            }
        }
        for (int i = 0; i < config.faults(); i++) {
            schedule((long) (random.nextDouble() * config.faultPhaseMs()), this::fault);
        }
    }

    /** Replicas of range i on nodes (stride * i + j) mod n ({@link Layout}): consecutive nodes; equal counts. */
    private void placeRangesEvenly() {
        List<SimNode> all = new ArrayList<>(nodesById.values());
        int rf = limits.replicationFactor();
        long stride = config.layout() == Layout.SPREAD ? rf : 1;
        for (int i = 0; i < ranges.length; i++) {
            List<Replica> replicas = new ArrayList<>();
            for (int j = 0; j < Math.min(rf, all.size()); j++) {
                SimNode n = all.get((int) ((stride * i + j) % all.size()));
                replicas.add(new Replica(n.id, n.incarnation));
            }
            long size = 1 + (long) (random.nextDouble() * config.rangeBytesMax());
            ranges[i] = new Range(i, replicas, replicas.get(0).nodeId(), size, random.nextInt(1000));
        }
    }

    Outcome run() {
        int rounds = 0;
        long convergedAtMs = -1;
        for (; rounds < config.roundsMax() && failure == null; rounds++) {
            runEventsDue();
            heartbeat();
            completeMovesDue();
            electLeaders();
            List<Operation> ops = decide();
            apply(ops);
            if (failure != null) {
                break;
            }
            if (ops.isEmpty() && quiescent()) {
                convergedAtMs = nowMs;
                checkConverged();
                break;
            }
            nowMs = nextRoundMs(!ops.isEmpty());
        }
        if (failure == null && convergedAtMs < 0) {
            failure = "did not converge within " + config.roundsMax() + " rounds (" + nowMs + " ms simulated)";
        }
        return new Outcome(seed, failure, rounds, nowMs, convergedAtMs - config.faultPhaseMs(), adds,
                addsLowerBound(), bytesMoved, removals, transfers, driverNanosMax, driverNanosTotal,
                (int) nodes.values().stream().filter(this::liveMember).count(), faultLog.toString());
    }

    private List<Operation> decide() {
        ClusterSnapshot snapshot = snapshot();
        long started = System.nanoTime();
        List<Operation> ops = driver.nextOperations(snapshot);
        long tookNanos = System.nanoTime() - started;
        driverNanosMax = Math.max(driverNanosMax, tookNanos);
        driverNanosTotal += tookNanos;
        return ops;
    }

    private ClusterSnapshot snapshot() {
        List<Node> nodeList = new ArrayList<>(nodesById.size());
        for (SimNode n : nodesById.values()) {
            nodeList.add(new Node(n.id, n.zone, n.recorded, n.lastSeenMs, n.incarnation));
        }
        return new ClusterSnapshot(nodeList, Arrays.asList(ranges), moves.stream().map(InFlight::move).toList());
    }

    // ---- the passage of time ----

    private void schedule(long atMs, Runnable action) {
        events.add(new Event(atMs, eventSeq++, action));
    }

    private void runEventsDue() {
        while (!events.isEmpty() && events.peek().atMs() <= nowMs) {
            events.poll().action().run();
            membershipChanged();
        }
    }

    /** Placement may legitimately change its mind when membership changes: the flap check starts afresh. */
    private void membershipChanged() {
        rebalancedSinceMembershipChanged.clear();
    }

    private void heartbeat() {
        for (SimNode n : nodesById.values()) {
            if (n.up) {
                n.lastSeenMs = nowMs;
            }
        }
    }

    /** The next instant anything can change: now + tick after a round that did something, else the next event. */
    private long nextRoundMs(boolean busy) {
        if (busy) {
            return nowMs + config.tickMs();
        }
        long next = Long.MAX_VALUE;
        if (!events.isEmpty()) {
            next = events.peek().atMs();
        }
        for (InFlight m : moves) {
            if (!m.move().joined()) {
                next = Math.min(next, m.finishAtMs());
            }
        }
        for (SimNode n : nodesById.values()) {
            if (!n.up && n.recorded != NodeState.DEAD && n.recorded != NodeState.REMOVED) {
                for (long threshold : new long[] {limits.nodeSuspectAfterMs(), limits.nodeDeadAfterMs()}) {
                    if (n.lastSeenMs + threshold > nowMs) {
                        next = Math.min(next, n.lastSeenMs + threshold);
                    }
                }
            }
        }
        return next == Long.MAX_VALUE ? nowMs + config.tickMs() : Math.max(next, nowMs + 1);
    }

    private boolean quiescent() {
        if (!events.isEmpty() || !moves.isEmpty() || nowMs < config.faultPhaseMs()) {
            return false;
        }
        for (SimNode n : nodesById.values()) {
            if (!n.up && n.recorded != NodeState.DEAD && n.recorded != NodeState.REMOVED) {
                return false;
            }
        }
        return true;
    }

    // ---- the cluster reacting ----

    private boolean serving(Replica r) {
        SimNode n = nodes.get(r.nodeId());
        return n != null && n.up && n.incarnation == r.incarnation()
                && (n.recorded == NodeState.LIVE || n.recorded == NodeState.DRAINING);
    }

    /** Live as the driver can know it: heard from within the suspect time, current data, LIVE or DRAINING. */
    private boolean liveToDriver(Replica r) {
        SimNode n = nodes.get(r.nodeId());
        return n != null && nowMs - n.lastSeenMs < limits.nodeSuspectAfterMs() && n.incarnation == r.incarnation()
                && (n.recorded == NodeState.LIVE || n.recorded == NodeState.DRAINING);
    }

    private boolean liveMember(SimNode n) {
        return n.up && n.recorded == NodeState.LIVE;
    }

    /**
     * Copies that are done join the voters if their target still serves with the same data (else the move fails and
     * is dropped); a joined move that replaces a replica stays recorded until that replica is gone.
     */
    private void completeMovesDue() {
        List<InFlight> still = new ArrayList<>();
        for (InFlight m : moves) {
            Range range = ranges[(int) m.move().rangeId()];
            if (m.move().joined()) {
                if (range.hasReplicaOn(m.move().sourceNodeId())) {
                    still.add(m);
                }
            } else if (m.finishAtMs() > nowMs) {
                still.add(m);
            } else if (serving(m.move().target())) {
                join(m, range);
                if (m.move().sourceNodeId() != null && range.hasReplicaOn(m.move().sourceNodeId())) {
                    Move joined = m.move();
                    still.add(new InFlight(new Move(joined.rangeId(), joined.target(), joined.sourceNodeId(),
                            joined.startedMs(), true), m.finishAtMs(), m.sizeBytes(), m.rebalancing()));
                }
            }
        }
        moves.clear();
        moves.addAll(still);
    }

    private void join(InFlight m, Range range) {
        Replica target = m.move().target();
        if (range.hasReplicaOn(target.nodeId())) {
            fail("move of range " + range.id() + " landed on " + target.nodeId() + ", which already has a replica");
            return;
        }
        List<Replica> replicas = new ArrayList<>(range.replicas());
        replicas.add(target);
        ranges[(int) range.id()] = range.withReplicas(replicas, range.leaderNodeId());
        bytesMoved += m.sizeBytes();
        if (m.rebalancing()) {
            String from = m.move().sourceNodeId();
            if (rebalancedSinceMembershipChanged.contains(range.id() + ":" + target.nodeId() + ">" + from)) {
                fail("flap: range " + range.id() + " was rebalanced from " + target.nodeId() + " to " + from
                        + " and back while membership stayed put");
            }
            rebalancedSinceMembershipChanged.add(range.id() + ":" + from + ">" + target.nodeId());
        }
    }

    private void electLeaders() {
        for (int i = 0; i < ranges.length; i++) {
            Range range = ranges[i];
            String leader = range.leaderNodeId();
            if (leader != null && servingReplicaOn(range, leader)) {
                continue;
            }
            List<Replica> candidates = range.replicas().stream().filter(this::serving).toList();
            String elected = candidates.size() >= PlacementLimits.quorum(range.replicas().size())
                    ? candidates.get(random.nextInt(candidates.size())).nodeId() : null;
            ranges[i] = range.withReplicas(range.replicas(), elected);
        }
    }

    private boolean servingReplicaOn(Range range, String nodeId) {
        for (Replica r : range.replicas()) {
            if (r.nodeId().equals(nodeId)) {
                return serving(r);
            }
        }
        return false;
    }

    // ---- the driver's decisions, checked and applied ----

    private void apply(List<Operation> ops) {
        Map<String, Integer> touching = new HashMap<>();
        Set<Long> rangesMoving = new HashSet<>();
        int copying = 0;
        for (InFlight m : moves) {
            if (!m.move().joined()) {
                countTouches(touching, m.move().rangeId(), m.move().target().nodeId());
                rangesMoving.add(m.move().rangeId());
                copying++;
            }
        }
        int removalsThisRound = 0;
        int transfersThisRound = 0;
        for (Operation op : ops) {
            if (failure != null) {
                return;
            }
            if (op instanceof Operation.AddReplica add) {
                copying++;
                applyAdd(add, touching, rangesMoving, copying);
            } else if (op instanceof Operation.RemoveReplica remove) {
                removalsThisRound++;
                applyRemove(remove, rangesMoving);
            } else if (op instanceof Operation.TransferLeader transfer) {
                transfersThisRound++;
                applyTransfer(transfer);
            } else if (op instanceof Operation.SetNodeState set) {
                applySetNodeState(set);
            }
        }
        if (removalsThisRound > limits.maxMovesTotal()
                || transfersThisRound > limits.maxLeaderTransfersPerRound()) {
            fail("round over its limits: " + removalsThisRound + " removals, " + transfersThisRound + " transfers");
        }
    }

    private void countTouches(Map<String, Integer> touching, long rangeId, String target) {
        touching.merge(target, 1, Integer::sum);
        String sender = ranges[(int) rangeId].leaderNodeId();
        if (sender != null && !sender.equals(target)) {
            touching.merge(sender, 1, Integer::sum);
        }
    }

    private void applyAdd(Operation.AddReplica add, Map<String, Integer> touching, Set<Long> rangesMoving,
                          int copying) {
        Range range = ranges[(int) add.rangeId()];
        String target = add.target().nodeId();
        if (range.hasReplicaOn(target)) {
            fail("add of range " + range.id() + " onto " + target + ", which already has a replica");
            return;
        }
        if (!rangesMoving.add(range.id())) {
            fail("second operation on range " + range.id() + " while a move of it is in flight");
            return;
        }
        countTouches(touching, range.id(), target);
        String sender = range.leaderNodeId();
        if (copying > limits.maxMovesTotal() || touching.get(target) > limits.maxMovesPerNode()
                || sender != null && touching.get(sender) > limits.maxMovesPerNode()) {
            fail("add of range " + range.id() + " onto " + target + " exceeds the move limits");
            return;
        }
        long durationMs = config.moveFixedMs() + range.sizeBytes() * 1000 / config.bytesPerSec();
        SimNode source = add.sourceNodeId() == null ? null : nodes.get(add.sourceNodeId());
        boolean rebalancing = source != null && source.recorded == NodeState.LIVE && range.replicas().stream()
                .anyMatch(x -> x.nodeId().equals(source.id) && serving(x));
        moves.add(new InFlight(new Move(range.id(), add.target(), add.sourceNodeId(), nowMs, false), nowMs + durationMs,
                range.sizeBytes(), rebalancing));
        adds++;
    }

    private void applyRemove(Operation.RemoveReplica remove, Set<Long> rangesMoving) {
        Range range = ranges[(int) remove.rangeId()];
        if (!range.replicas().contains(remove.replica()) || !rangesMoving.add(range.id())) {
            fail("removal " + remove + " of a replica not in range " + range + " or of a range already changing");
            return;
        }
        if (remove.replica().nodeId().equals(range.leaderNodeId())) {
            fail("removal of the leader's replica: " + remove + " from " + range);
            return;
        }
        List<Replica> after = new ArrayList<>(range.replicas());
        after.remove(remove.replica());
        long live = after.stream().filter(this::liveToDriver).count();
        long liveBefore = range.replicas().stream().filter(this::liveToDriver).count();
        if (liveBefore >= PlacementLimits.quorum(range.replicas().size())
                && live < PlacementLimits.quorum(after.size())) {
            fail("removal " + remove + " leaves range " + range.id() + " " + live + " live of " + after.size());
            return;
        }
        ranges[(int) range.id()] = range.withReplicas(after, range.leaderNodeId());
        removals++;
    }

    private void applyTransfer(Operation.TransferLeader transfer) {
        Range range = ranges[(int) transfer.rangeId()];
        if (!transfer.fromNodeId().equals(range.leaderNodeId()) || !range.hasReplicaOn(transfer.toNodeId())) {
            fail("transfer " + transfer + " does not match range " + range);
            return;
        }
        if (servingReplicaOn(range, transfer.toNodeId())) {
            ranges[(int) range.id()] = range.withReplicas(range.replicas(), transfer.toNodeId());
            transfers++;
        }
    }

    private void applySetNodeState(Operation.SetNodeState set) {
        SimNode n = nodes.get(set.nodeId());
        if (n == null || n.incarnation != set.incarnation()) {
            fail("state change " + set + " for an unknown node or incarnation");
            return;
        }
        if (set.state() == NodeState.DEAD && nowMs - n.lastSeenMs < limits.nodeDeadAfterMs()) {
            fail("node " + n.id + " declared dead after " + (nowMs - n.lastSeenMs) + " ms unseen");
        } else if (set.state() == NodeState.REMOVED && (n.recorded != NodeState.DRAINING || holdsAnything(n.id))) {
            fail("node " + n.id + " removed while " + n.recorded + " or still holding replicas");
        } else {
            n.recorded = set.state();
            membershipChanged();
            if (set.state() == NodeState.REMOVED) {
                n.up = false;
            }
        }
    }

    private boolean holdsAnything(String nodeId) {
        for (Range r : ranges) {
            if (r.hasReplicaOn(nodeId)) {
                return true;
            }
        }
        return moves.stream().anyMatch(m -> m.move().target().nodeId().equals(nodeId));
    }

    private void fail(String why) {
        if (failure == null) {
            failure = "at " + nowMs + " ms: " + why;
        }
    }

    // ---- faults ----

    private SimNode addNode() {
        return addNode(nextNodeNumber % config.zones());
    }

    private SimNode addNode(int zone) {
        String id = String.format("n%05d", nextNodeNumber);
        SimNode n = new SimNode(id, "z" + zone, random.nextLong());
        nextNodeNumber++;
        n.lastSeenMs = nowMs;
        nodes.put(id, n);
        nodesById.put(id, n);
        return n;
    }

    private void fault() {
        int kind = random.nextInt(9);
        SimNode victim = pickLiveMember();
        switch (kind) {
            case 0 -> log("join " + addNode().id);
            case 1 -> growRanges();
            case 2 -> {
                if (victim != null && liveMembersUp() > limits.replicationFactor() + 1) {
                    victim.recorded = NodeState.DRAINING;
                    log("drain " + victim.id);
                }
            }
            default -> crash(victim, kind);
        }
    }

    private void crash(SimNode victim, int kind) {
        if (victim == null || !mayLose(victim)) {
            return;
        }
        victim.up = false;
        lastCrashMs = nowMs;
        long suspect = limits.nodeSuspectAfterMs();
        long dead = limits.nodeDeadAfterMs();
        switch (kind) {
            case 3 -> returnAfter(victim, (long) (random.nextDouble() * suspect), false, "flap");
            case 4 -> returnAfter(victim, suspect + (long) (random.nextDouble() * (dead - suspect)), false, "crash");
            case 5 -> returnAfter(victim, dead + (long) (random.nextDouble() * dead), false, "long crash");
            case 6 -> returnAfter(victim, (long) (random.nextDouble() * 2 * dead), true, "wipe");
            default -> log("kill " + victim.id + " for good");
        }
    }

    private void returnAfter(SimNode node, long downMs, boolean wiped, String what) {
        log(what + " " + node.id + " for " + downMs + " ms");
        schedule(nowMs + downMs, () -> {
            node.up = true;
            node.lastSeenMs = nowMs;
            if (wiped) {
                node.incarnation = random.nextLong();
                node.recorded = NodeState.LIVE;
            }
        });
    }

    private void growRanges() {
        for (int k = 0; k < Math.max(1, ranges.length / 20); k++) {
            int i = random.nextInt(ranges.length);
            Range r = ranges[i];
            ranges[i] = new Range(r.id(), r.replicas(), r.leaderNodeId(),
                    r.sizeBytes() + (long) (random.nextDouble() * config.rangeBytesMax()),
                    r.loadOpsPerSec() + random.nextInt(1000));
        }
    }

    private SimNode pickLiveMember() {
        List<SimNode> live = nodesById.values().stream().filter(this::liveMember).toList();
        return live.isEmpty() ? null : live.get(random.nextInt(live.size()));
    }

    private int liveMembersUp() {
        return (int) nodesById.values().stream().filter(this::liveMember).count();
    }

    /** The fault guard (class comment): one failure per suspect time, enough LIVE nodes, every range a quorum. */
    private boolean mayLose(SimNode victim) {
        if (nowMs - lastCrashMs < limits.nodeSuspectAfterMs() || liveMembersUp() <= limits.replicationFactor() + 1) {
            return false;
        }
        for (Range r : ranges) {
            if (!r.hasReplicaOn(victim.id)) {
                continue;
            }
            long servingAfter = r.replicas().stream().filter(x -> !x.nodeId().equals(victim.id) && serving(x)).count();
            if (servingAfter < PlacementLimits.quorum(r.replicas().size())) {
                return false;
            }
        }
        return true;
    }

    private void log(String line) {
        faultLog.append(nowMs).append(" ms: ").append(line).append('\n');
    }

    // ---- the end state ----

    private void checkConverged() {
        int rf = limits.replicationFactor();
        Map<String, Integer> replicaCounts = new TreeMap<>();
        Map<String, Integer> leaderCounts = new TreeMap<>();
        Map<String, Integer> livePerZone = new TreeMap<>();
        for (SimNode n : nodesById.values()) {
            if (liveMember(n)) {
                replicaCounts.put(n.id, 0);
                leaderCounts.put(n.id, 0);
                livePerZone.merge(n.zone, 1, Integer::sum);
            }
        }
        int zonesWanted = Math.min(rf, livePerZone.size());
        for (Range r : ranges) {
            Set<String> zones = new HashSet<>();
            for (Replica x : r.replicas()) {
                if (!serving(x) || !replicaCounts.containsKey(x.nodeId())) {
                    fail("range " + r.id() + " ends with a replica not on a LIVE node: " + r);
                    return;
                }
                replicaCounts.merge(x.nodeId(), 1, Integer::sum);
                zones.add(nodes.get(x.nodeId()).zone);
            }
            if (r.replicas().size() != rf || zones.size() != zonesWanted || r.leaderNodeId() == null) {
                fail("range " + r.id() + " ends with " + r.replicas().size() + " replicas over " + zones.size()
                        + " zones (want " + rf + " over " + zonesWanted + "), leader " + r.leaderNodeId());
                return;
            }
            leaderCounts.merge(r.leaderNodeId(), 1, Integer::sum);
        }
        checkWithinOne("replicas", replicaCounts, shares(livePerZone));
        double leaderMean = (double) ranges.length / leaderCounts.size();
        Map<String, Double> leaderMeans = new HashMap<>();
        leaderCounts.keySet().forEach(id -> leaderMeans.put(id, leaderMean));
        checkWithinOne("leaders", leaderCounts, leaderMeans);
    }

    private Map<String, Double> shares(Map<String, Integer> livePerZone) {
        List<String> zones = new ArrayList<>(livePerZone.keySet());
        double[] perNode = BalanceTargets.sharePerNode(zones.stream().mapToInt(livePerZone::get).toArray(),
                ranges.length, limits.replicationFactor());
        Map<String, Double> shares = new HashMap<>();
        for (SimNode n : nodesById.values()) {
            if (liveMember(n)) {
                shares.put(n.id, perNode[zones.indexOf(n.zone)]);
            }
        }
        return shares;
    }

    private void checkWithinOne(String what, Map<String, Integer> counts, Map<String, Double> targets) {
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            double target = targets.get(e.getKey());
            if (Math.abs(e.getValue() - target) > 1 + 1e-9) {
                fail("node " + e.getKey() + " ends with " + e.getValue() + " " + what + ", its share is " + target);
                return;
            }
        }
    }

    private long addsLowerBound() {
        long bound = 0;
        Map<String, Integer> now = new HashMap<>();
        for (Range r : ranges) {
            for (Replica x : r.replicas()) {
                now.merge(x.nodeId(), 1, Integer::sum);
            }
        }
        for (Map.Entry<String, Integer> e : now.entrySet()) {
            bound += Math.max(0, e.getValue() - initialCounts.getOrDefault(e.getKey(), 0));
        }
        return bound;
    }
}
