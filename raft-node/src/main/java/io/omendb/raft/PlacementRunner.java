package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.placement.ClusterSnapshot;
import io.omendb.placement.Move;
import io.omendb.placement.Node;
import io.omendb.placement.NodeState;
import io.omendb.placement.Operation;
import io.omendb.placement.PlacementDriver;
import io.omendb.placement.PlacementLimits;
import io.omendb.placement.Range;
import io.omendb.placement.Replica;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.NodeAdmin;
import io.omendb.raft.client.Results;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Runs the {@link PlacementDriver} on the node leading the meta group (one per cluster; another one after a meta
 * leader change) and carries out what it decides: leadership transfers, replica moves (add the new replica, wait until
 * it caught up, then remove the one it replaces), and node state changes (a drained node becomes REMOVED). So leaders
 * and replicas stay balanced, and a node an operator decommissions ({@link NodeAdmin#decommission}) is emptied.
 *
 * <p><b>When it runs.</b> Every {@code [placement] busy_round_interval_ms} the meta leader reads the recorded node
 * states; it runs a round when a node is DRAINING or a move is in flight, and otherwise every {@code
 * leader_balance_interval_s} (0: only for drains and moves; the first one that long after the node started, as
 * before replica moves existed). Between rounds, every {@link #OBSERVE_INTERVAL_MS} it builds the same picture without
 * acting on it, for {@link #metrics} (under-replicated ranges).
 *
 * <p><b>What it gives the driver.</b> Every member, configured or registered in the meta group (a node that joined
 * the running cluster: {@link ClusterClient#members()}, read again with the range table every round), with the state the meta group records (LIVE
 * without a record) and heard from when it last answered a probe ({@link NodeAdmin#hostedGroups}): one that stops
 * answering becomes SUSPECT after {@link PlacementLimits#NODE_SUSPECT_AFTER_MS_DEFAULT}, and the driver then balances
 * nothing (it repairs first), nor removes a replica whose loss would leave a range without a live quorum. One unheard
 * from for {@code [placement] node_dead_after_s} is recorded DEAD by the driver, and its replicas are re-created on
 * the other nodes (it stays DEAD when it comes back: its replicas there are stale). "Unheard from" counts from when
 * this node last started leading the meta group at the earliest (what an earlier leader heard is not known here), so
 * a leader change never makes a node dead sooner, and from when a joined member was first listed. The total of moves
 * in flight is bounded for the members configured ({@code max_moves_per_node} each), not raised by members that
 * joined. Every range of the table with its voters and current
 * leader, less the target of a copy in flight, and the moves in flight ({@link ReplicaMoves}), bounded by {@code
 * max_moves_per_node} per node.
 *
 * <p><b>Zones.</b> Each member goes to the driver with its zone as it registered it, else as this node's file gives
 * it ({@link ClusterClient#members()}); the driver spreads each range over {@code min(replication_factor, zones)} of
 * them, moving replicas of the ranges the initial layout (which knows no zones) put twice in one.
 *
 * <p><b>Dead nodes.</b> Calls to a node that does not answer are bounded and run on that node's own lanes
 * ({@code NodeCalls}), so they no longer hold up probes of the live members. Two guards stay: a replica of a DEAD
 * node is removed without asking that node to delete it (the delete could only fail, after the admin call bound), and
 * a round that heard from no majority decides nothing (a leader
 * cut off from the cluster must not declare the others dead, whatever its threads do).
 *
 * <p><b>One operation's failure is its own.</b> An operation that fails (a transfer that times out, a removal the
 * group refuses) is logged and the round carries out the others: the driver decided them from the same picture, and
 * the next round decides again.
 *
 * <p><b>Leadership goes only to a replica that is caught up</b> ({@link #readyToLead}): one that answered the round's
 * status call within {@link #TRANSFER_LAG_ENTRIES_MAX} entries of its leader. Ratis' leader refuses every write
 * while a transfer is pending and waits for its target to catch up until the transfer's timeout (10 s; read in
 * Ratis' {@code TransferLeadership}, not observed here): a transfer to a replica that still waits for a snapshot (a
 * node that just restarted, whose new range the reconciler had not created yet) would hold a range's writes for the
 * whole 10 s. Before that, seen in the chaos suite, a wiped node being re-admitted (running, so LIVE, but hosting nothing
 * yet) drew a transfer every round. TiKV bounds the same thing ({@code leader-transfer-max-log-lag}, 128).
 *
 * <p><b>Threading.</b> One daemon thread of its own ({@link BackgroundThread}): a round waits for each transfer,
 * removal and state change; copies run in the background, at most the driver's limits of them.
 */
final class PlacementRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PlacementRunner.class);
    /** How long one status call, transfer or removal may take before the round moves on. */
    static final long CALL_WAIT_MS = 15_000;
    /** How long a new replica may take to catch up with its leader before its move is given up. */
    static final long CATCH_UP_TIMEOUT_MS = 600_000;
    /** How often the meta leader refreshes {@link #metrics} when no round is due. */
    static final long OBSERVE_INTERVAL_MS = 10_000;
    /** How often a copy checks whether its new replica caught up. */
    static final long CATCH_UP_POLL_MS = 200;
    /**
     * How many entries a replica may have applied fewer than its leader and still be given the leadership: Ratis
     * holds the range's writes until the target has the leader's last entry, so the target must be nearly there.
     */
    static final long TRANSFER_LAG_ENTRIES_MAX = 128;

    private final OmenConfig config;
    private final RaftServer server;
    private final ClusterClient client;
    private final LongSupplier clockMs;
    private final PlacementDriver driver;
    private final ReplicaMoves moves;
    /** When each member last answered a probe, while this node leads the meta group (cleared when it stops). */
    private final Map<String, Long> lastSeenMs = new ConcurrentHashMap<>(); // also read by copies in flight
    /**
     * When each member was first listed while this node leads the meta group (cleared when it stops): a member not
     * heard from is unheard since then, so a node that joined while this one led is not dead for having been silent
     * before it existed.
     */
    private final Map<String, Long> listedSinceMs = new HashMap<>();
    /** When this node started leading the meta group; null while it does not. */
    private Long leadingSinceMs;
    private final BackgroundThread thread;
    private long lastRoundMs;
    private long lastObservedMs = Long.MIN_VALUE / 2;
    private volatile Optional<PlacementMetrics> metrics = Optional.empty();

    PlacementRunner(OmenConfig config, RaftServer server, ClusterClient client, LongSupplier clockMs) {
        this.config = config;
        this.server = server;
        this.client = client;
        this.clockMs = clockMs;
        int perNode = config.placement().maxMovesPerNode();
        this.driver = new PlacementDriver(new PlacementLimits(config.cluster().replicationFactor(),
                PlacementLimits.NODE_SUSPECT_AFTER_MS_DEFAULT, config.placement().nodeDeadAfterS() * 1000L, perNode,
                Math.min(PlacementLimits.MAX_MOVES_TOTAL_DEFAULT, perNode * config.cluster().members().size()),
                PlacementLimits.MAX_LEADER_TRANSFERS_PER_ROUND_DEFAULT), clockMs);
        this.moves = new ReplicaMoves(this::copy);
        this.thread = new BackgroundThread("omendb-placement-" + config.cluster().nodeId());
        this.lastRoundMs = clockMs.getAsLong();
    }

    void start() {
        long ms = config.placement().busyRoundIntervalMs();
        thread.executor().scheduleWithFixedDelay(this::tickSafely, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** The last round's reading while this node leads the meta group, else empty. */
    Optional<PlacementMetrics> metrics() {
        return metrics;
    }

    private void tickSafely() {
        try {
            if (leadsMetaGroup()) {
                if (leadingSinceMs == null) {
                    leadingSinceMs = clockMs.getAsLong();
                }
                tick();
            } else {
                leadingSinceMs = null;
                lastSeenMs.clear();
                listedSinceMs.clear();
                metrics = Optional.empty();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("Node {}: placement round failed: {}", config.cluster().nodeId(), e.toString());
        }
    }

    private boolean leadsMetaGroup() {
        try {
            RaftGroupId meta = ClusterLayout.metaGroupId(config.database().name());
            return server.getDivision(meta).getInfo().isLeader();
        } catch (IOException notHostedHere) {
            return false;
        }
    }

    private void tick() throws Exception {
        Map<String, NodeState> states = await(client.admin().nodes().recordedStates());
        long balanceMs = config.placement().leaderBalanceIntervalS() * 1000L;
        boolean due = balanceMs > 0 && clockMs.getAsLong() - lastRoundMs >= balanceMs;
        if (due || moves.inFlight() > 0 || states.containsValue(NodeState.DRAINING) || someMemberSilent()) {
            lastRoundMs = clockMs.getAsLong();
            round(states, true);
        } else if (clockMs.getAsLong() - lastObservedMs >= OBSERVE_INTERVAL_MS) {
            round(states, false);
        }
    }

    /**
     * Whether a LIVE-recorded member has not answered for the suspect time: then rounds run at the busy pace whatever
     * {@code leader_balance_interval_s} says, so a dead node is declared and repaired in time (the driver balances
     * nothing while a node is silent).
     */
    private boolean someMemberSilent() {
        long now = clockMs.getAsLong();
        return client.members().stream().anyMatch(m -> now - lastHeardMs(m.id())
                >= PlacementLimits.NODE_SUSPECT_AFTER_MS_DEFAULT);
    }

    /** When {@code nodeId} last answered, or else when it was first listed while this node leads (at the earliest). */
    private long lastHeardMs(String nodeId) {
        Long seen = lastSeenMs.get(nodeId);
        return seen != null ? seen : listedSinceMs.computeIfAbsent(nodeId, id -> Math.max(leadingSinceMs,
                clockMs.getAsLong()));
    }

    /**
     * One round: the cluster as it is now, and with {@code act} the driver's decisions carried out (copies started in
     * the background); either way, {@link #metrics} updated.
     */
    private void round(Map<String, NodeState> states, boolean actWanted) throws Exception {
        boolean act = actWanted;
        lastObservedMs = clockMs.getAsLong();
        RangeTable table = await(client.refreshMembersAndRangeTable()); // first: it learns the members that joined
        List<OmenConfig.Member> members = client.members();
        probeMembers(members);
        List<Move> inFlight = moves.current(table);
        // one status call per node, each bounded: a node that does not answer shows its replicas unreachable
        List<Results.RangeReport> reports = await(client.admin().rangeReports(table));
        List<Range> ranges = new ArrayList<>();
        for (int i = 0; i < reports.size(); i++) {
            RangeDescriptor d = table.ranges().get(i);
            Results.RangeStatus status = reports.get(i).status();
            Optional<String> copying = moves.copyingTo(d.rangeId());
            ranges.add(new Range(d.rangeId(), d.peerIds().stream().filter(p -> copying.map(c -> !c.equals(p))
                    .orElse(true)).map(p -> new Replica(p, 0)).toList(), status.leaderId(), 0, 0));
        }
        List<Node> nodes = new ArrayList<>();
        for (OmenConfig.Member m : members) {
            nodes.add(new Node(m.id(), m.zone(), states.getOrDefault(m.id(), NodeState.LIVE), lastHeardMs(m.id()), 0));
        }
        ClusterSnapshot snapshot = new ClusterSnapshot(nodes, ranges, inFlight);
        if (act && !seesMajority(members)) {
            LOG.warn("Node {}: heard from fewer than a majority of the members within {} ms; deciding nothing this "
                    + "round (a node is never declared dead by a leader that cannot see the cluster)",
                    config.cluster().nodeId(), PlacementLimits.NODE_SUSPECT_AFTER_MS_DEFAULT);
            act = false;
        }
        Map<Long, Results.RangeStatus> statuses = new HashMap<>();
        reports.forEach(r -> statuses.put(r.status().descriptor().rangeId(), r.status()));
        for (Operation op : act ? driver.nextOperations(snapshot) : List.<Operation>of()) {
            if (op instanceof Operation.TransferLeader t && !readyToLead(statuses.get(t.rangeId()), t.toNodeId())) {
                LOG.info("Node {}: not moving the leadership of range {} to {}: its replica there is not caught up "
                        + "(did not answer this round's status call, or more than {} entries behind its leader)",
                        config.cluster().nodeId(), t.rangeId(), t.toNodeId(), TRANSFER_LAG_ENTRIES_MAX);
                continue;
            }
            try {
                carryOut(op, states);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                LOG.warn("Node {}: {} failed ({}); the round goes on with its other operations",
                        config.cluster().nodeId(), op, e.toString());
            }
        }
        metrics = Optional.of(new PlacementMetrics(config.cluster().nodeId(), driver.underReplicated(snapshot),
                moves.inFlight(), moves.completed()));
    }

    /**
     * Whether {@code nodeId}'s replica may be given the range's leadership, by the status call {@code status} came
     * from: it answered, and applied up to at most {@link #TRANSFER_LAG_ENTRIES_MAX} entries fewer than the leader
     * that answered (no leader answering: not tried, there is no one to transfer from).
     */
    static boolean readyToLead(Results.RangeStatus status, String nodeId) {
        if (status == null || status.leaderId() == null) {
            return false;
        }
        long leaderApplied = appliedBy(status, status.leaderId());
        long applied = appliedBy(status, nodeId);
        return leaderApplied >= 0 && applied >= 0 && applied >= leaderApplied - TRANSFER_LAG_ENTRIES_MAX;
    }

    /** The index {@code nodeId}'s replica applied, or -1 when it did not answer. */
    private static long appliedBy(Results.RangeStatus status, String nodeId) {
        return status.replicas().stream().filter(r -> r.nodeId().equals(nodeId) && r.error() == null)
                .mapToLong(Results.ReplicaStatus::appliedIndex).findFirst().orElse(-1);
    }

    /** Whether more than half of the members (this node included) answered within the suspect time. */
    private boolean seesMajority(List<OmenConfig.Member> members) {
        long now = clockMs.getAsLong();
        long heard = members.stream().filter(m -> now - lastSeenMs.getOrDefault(m.id(),
                Long.MIN_VALUE / 2) < PlacementLimits.NODE_SUSPECT_AFTER_MS_DEFAULT).count();
        return heard * 2 > members.size();
    }

    /**
     * Records when each member last answered (this node always: it runs the round); one that does not answer within
     * the probe timeout is not updated.
     */
    private void probeMembers(List<OmenConfig.Member> members) {
        List<String> ids = members.stream().map(OmenConfig.Member::id).toList();
        List<CompletableFuture<Boolean>> answers = ids.stream().map(id -> client.admin().nodes().hostedGroups(id)
                .thenApply(g -> true).completeOnTimeout(false, NodeAdmin.PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .exceptionally(t -> false)).toList();
        long now = clockMs.getAsLong();
        for (int i = 0; i < ids.size(); i++) {
            if (answers.get(i).join() || ids.get(i).equals(config.cluster().nodeId())) { // bounded, never fails
                lastSeenMs.put(ids.get(i), now);
            }
        }
    }

    private void carryOut(Operation op, Map<String, NodeState> states) throws Exception {
        String self = config.cluster().nodeId();
        if (op instanceof Operation.TransferLeader t) {
            LOG.info("Node {}: moving the leadership of range {} from {} to {}", self, t.rangeId(), t.fromNodeId(),
                    t.toNodeId());
            await(client.admin().transferLeader(t.rangeId(), t.toNodeId()));
        } else if (op instanceof Operation.AddReplica a) {
            LOG.info("Node {}: adding a replica of range {} on {} (to replace {})", self, a.rangeId(),
                    a.target().nodeId(), a.sourceNodeId());
            moves.start(a, clockMs.getAsLong());
        } else if (op instanceof Operation.RemoveReplica r) {
            LOG.info("Node {}: removing the replica of range {} on {}", self, r.rangeId(), r.replica().nodeId());
            String node = r.replica().nodeId();
            await(client.admin().removePeer(r.rangeId(), node, states.get(node) != NodeState.DEAD));
        } else if (op instanceof Operation.SetNodeState s) {
            NodeState recorded = states.getOrDefault(s.nodeId(), NodeState.LIVE);
            LOG.info("Node {}: recording node {} as {} (was {})", self, s.nodeId(), s.state(), recorded);
            await(client.admin().nodes().compareAndSetState(s.nodeId(), recorded, s.state()));
        }
    }

    /** Adds a replica of the range on {@code nodeId}, then waits until it applied what its leader had then. */
    private CompletableFuture<Void> copy(long rangeId, String nodeId) {
        long startedMs = clockMs.getAsLong();
        long deadlineMs = startedMs + CATCH_UP_TIMEOUT_MS;
        return client.admin().addPeer(rangeId, nodeId).thenCompose(d -> client.admin().rangeStatus(rangeId))
                .thenCompose(status -> caughtUp(rangeId, nodeId, leaderIndex(status), startedMs, deadlineMs));
    }

    private static long leaderIndex(Results.RangeStatus status) {
        return status.replicas().stream().filter(r -> r.nodeId().equals(status.leaderId()))
                .mapToLong(Results.ReplicaStatus::appliedIndex).findFirst().orElse(Long.MAX_VALUE);
    }

    /**
     * Completes once {@code nodeId}'s replica of the range reached {@code index}; fails past {@code deadlineMs}, and as
     * soon as the target has not answered this node's probes for the suspect time: a copy to a node that died meanwhile
     * (the chaos suite's KILL_FOREVER killed a node its copies were going to) would otherwise hold its range, to which
     * the driver starts nothing while a move is in flight, for the whole {@link #CATCH_UP_TIMEOUT_MS}.
     */
    private CompletableFuture<Void> caughtUp(long rangeId, String nodeId, long index, long startedMs,
                                             long deadlineMs) {
        return client.admin().rangeStatus(rangeId).thenCompose(status -> {
            long target = status.replicas().stream().filter(r -> r.nodeId().equals(nodeId))
                    .mapToLong(Results.ReplicaStatus::appliedIndex).findFirst().orElse(-1);
            long reference = index == Long.MAX_VALUE ? leaderIndex(status) : index;
            if (reference != Long.MAX_VALUE && target >= reference) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            long now = clockMs.getAsLong();
            if (now > deadlineMs) {
                throw new IllegalStateException("the replica of range " + rangeId + " on " + nodeId + " did not catch "
                        + "up within " + CATCH_UP_TIMEOUT_MS + " ms");
            }
            if (now - Math.max(startedMs, lastSeenMs.getOrDefault(nodeId, startedMs))
                    > PlacementLimits.NODE_SUSPECT_AFTER_MS_DEFAULT) {
                throw new IllegalStateException("copying range " + rangeId + " to " + nodeId + " abandoned: " + nodeId
                        + " has not answered for " + PlacementLimits.NODE_SUSPECT_AFTER_MS_DEFAULT + " ms");
            }
            return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(CATCH_UP_POLL_MS,
                    TimeUnit.MILLISECONDS)).thenCompose(v -> caughtUp(rangeId, nodeId, reference, startedMs,
                    deadlineMs));
        });
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(CALL_WAIT_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        thread.close();
    }
}
