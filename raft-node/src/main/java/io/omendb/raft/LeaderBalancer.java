package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.placement.ClusterSnapshot;
import io.omendb.placement.Node;
import io.omendb.placement.NodeState;
import io.omendb.placement.Operation;
import io.omendb.placement.PlacementDriver;
import io.omendb.placement.PlacementLimits;
import io.omendb.placement.Range;
import io.omendb.placement.Replica;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.Results;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Keeps range leaders balanced: every {@code [placement] leader_balance_interval_s}, the node that leads the meta group
 * (one per cluster, and another one after a meta leader change) asks the {@link PlacementDriver} for its next round
 * and carries out the leadership transfers it decides ({@code ClusterAdmin#transferLeader}), so that every node leads
 * within one of the mean number of ranges. Unbalanced leaders cost writes: a node leading every range does all the
 * leaders' work on its cores (docs/BENCHMARKS.md measured one benchmark round with every leader on one node).
 *
 * <p><b>What it gives the driver.</b> Every member of the configuration as a LIVE node, heard from when it answered
 * the last round's status calls (a node that did not answer becomes SUSPECT after
 * {@link PlacementLimits#NODE_SUSPECT_AFTER_MS_DEFAULT}, and the driver then balances nothing: it repairs first); every
 * range of the table with its replicas and current leader. Nodes are never declared dead here and replica moves the
 * driver decides are not carried out yet (logged): only leadership moves, which change no data and no membership.
 *
 * <p><b>Threading.</b> One daemon thread of its own ({@link BackgroundThread}); a round waits for each transfer, so
 * there is never more than one in flight from this node.
 */
final class LeaderBalancer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderBalancer.class);
    /** How long one status call or transfer may take before the round moves on. */
    static final long CALL_WAIT_MS = 15_000;
    /** Never declared dead here: the driver only balances leaders (see the class note). */
    static final long NODE_DEAD_AFTER_MS = Long.MAX_VALUE / 4;

    private final OmenConfig config;
    private final RaftServer server;
    private final ClusterClient client;
    private final LongSupplier clockMs;
    private final PlacementDriver driver;
    private final Map<String, Long> lastSeenMs = new HashMap<>();
    private final BackgroundThread thread;

    LeaderBalancer(OmenConfig config, RaftServer server, ClusterClient client, LongSupplier clockMs) {
        this.config = config;
        this.server = server;
        this.client = client;
        this.clockMs = clockMs;
        this.driver = new PlacementDriver(new PlacementLimits(config.cluster().replicationFactor(),
                PlacementLimits.NODE_SUSPECT_AFTER_MS_DEFAULT, NODE_DEAD_AFTER_MS,
                PlacementLimits.MAX_MOVES_PER_NODE_DEFAULT, PlacementLimits.MAX_MOVES_TOTAL_DEFAULT,
                PlacementLimits.MAX_LEADER_TRANSFERS_PER_ROUND_DEFAULT), clockMs);
        this.thread = new BackgroundThread("omendb-placement-" + config.cluster().nodeId());
    }

    /** Starts the periodic rounds unless {@code leader_balance_interval_s = 0}. */
    void startIfEnabled() {
        int s = config.placement().leaderBalanceIntervalS();
        if (s > 0) {
            thread.executor().scheduleWithFixedDelay(this::roundSafely, s, s, TimeUnit.SECONDS);
        }
    }

    private void roundSafely() {
        try {
            if (leadsMetaGroup()) {
                round();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("Node {}: leader balancing round failed: {}", config.cluster().nodeId(), e.toString());
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

    /** One round: the cluster as it is now, the driver's decisions, its leadership transfers carried out. */
    void round() throws Exception {
        List<RangeDescriptor> table = client.refreshRangeTable().get(CALL_WAIT_MS, TimeUnit.MILLISECONDS).ranges();
        long now = clockMs.getAsLong();
        List<Range> ranges = new ArrayList<>();
        for (RangeDescriptor d : table) {
            Results.RangeStatus status = client.admin().rangeStatus(d.rangeId())
                    .get(CALL_WAIT_MS, TimeUnit.MILLISECONDS);
            status.replicas().stream().filter(r -> r.error() == null).forEach(r -> lastSeenMs.put(r.nodeId(), now));
            ranges.add(new Range(d.rangeId(), d.peerIds().stream().map(p -> new Replica(p, 0)).toList(),
                    status.leaderId(), 0, 0));
        }
        List<Node> nodes = new ArrayList<>();
        for (OmenConfig.Member m : config.cluster().members()) {
            nodes.add(new Node(m.id(), "", NodeState.LIVE, lastSeenMs.getOrDefault(m.id(), 0L), 0));
        }
        for (Operation op : driver.nextOperations(new ClusterSnapshot(nodes, ranges, List.of()))) {
            if (op instanceof Operation.TransferLeader t) {
                LOG.info("Node {}: moving the leadership of range {} from {} to {} (leader balance)",
                        config.cluster().nodeId(), t.rangeId(), t.fromNodeId(), t.toNodeId());
                client.admin().transferLeader(t.rangeId(), t.toNodeId()).get(CALL_WAIT_MS, TimeUnit.MILLISECONDS);
            } else {
                LOG.info("Node {}: the placement driver asks for {}; replica moves are not carried out yet",
                        config.cluster().nodeId(), op);
            }
        }
    }

    @Override
    public void close() {
        thread.close();
    }
}
