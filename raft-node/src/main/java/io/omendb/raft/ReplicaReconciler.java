package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.MetaView;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.statemachine.RangeStateMachine;
import io.omendb.raft.statemachine.StagedSplit;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.storage.FileOps;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Repairs, every {@link #RECONCILE_INTERVAL_MS}, the replicas a node should host by the range table but whose split
 * follow-up ({@link SplitFollowUp}) could not make them, and this node's replicas of merged ranges
 * ({@link MergeFollowUp}); one fresh read of the meta group serves a pass.
 *
 * <p><b>A replica that never staged the half</b> (every {@link #RECONCILE_INTERVAL_MS}): a
 * replica of the parent that was so far behind that it caught up from a snapshot taken after the split never applied
 * the split entry, so it never stages or starts the new range's group, although the range table names this node. It
 * is found by its own parent replica: a local replica whose descriptor ends where the new range starts, at the new
 * range's epoch or later, while this node neither hosts nor stages the new range's group. Then the group is created
 * here, with no data and the range's peers as its configuration: the new range's leader has this node in its
 * configuration already and sends it a snapshot (the new group's log starts at 1, after its first snapshot). Not with
 * an empty configuration, as a wiped node's re-admission does: that leader's heartbeats (which do not mark this node
 * as being added) start the replica's election timer, and a replica outside its own configuration that times out
 * before the snapshot arrives shuts its division down for good (Ratis' NOT_IN_CONF; seen in the chaos suite's
 * SPLIT_KILL). A voter with an empty log can neither win an election (every other member's log is ahead) nor undo a
 * commit (it never acknowledged an entry of the group). Safe against a double vote: it is done only when no other
 * member reports that this node took part in the group ({@code ClusterAdmin#readmissionNeeded}); a node that did (its
 * storage of the group was lost) is left alone, since it must be re-admitted as a new member, not come back as the
 * voter it was.
 *
 * <p><b>A replica created but never configured</b>: a node killed after it created a new
 * range's group (its split follow-up, or this reconciler) and before the leader's first entry reached it restarts
 * with the group's directory and no configuration in it: Ratis keeps the peers a group is created with in memory
 * only, and loads every group directory at start with none ({@link HostedGroups#unconfigured}). Such a replica
 * never catches up and shuts itself down at its first election timeout (seen in the chaos suite's SPLIT_KILL: the
 * kill came between the group's creation and its first entry). When the table names this node for the range, the
 * node is not being re-admitted, and another member's configuration names this node (a replica being added or
 * re-admitted is empty on purpose until its leader's configuration does), the replica is restarted on that member's
 * peers from its storage as it is: with no log entry it never acknowledged one, and its Raft metadata keeps its term
 * and vote, so it rejoins as the member it was, not as an amnesiac.
 *
 * <p><b>A replica Ratis closed</b> ({@link HostedGroups#closed}): a division Ratis shut down on its own (its state
 * machine failed to apply, or an election told it that it was outside the configuration) stays listed, refuses every
 * request (a terminated executor) and never comes back until the node restarts. Under the same conditions as above
 * (the table names this node, another member's configuration names it, not being re-admitted) it is restarted the
 * same way, which is what a restart of the node would do for it: its storage and Raft metadata as they are. One that
 * no member's configuration names is left alone (a replica being removed; the table catches up).
 *
 * <p><b>Threading.</b> Runs on the split follow-up's thread, so a repair never races a follow-up of the same group.
 */
final class ReplicaReconciler {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaReconciler.class);
    /** How often the node looks for replicas the table gives it that it does not run (see the class note). */
    static final long RECONCILE_INTERVAL_MS = 10_000;
    /** How long one pass waits for the meta group or a member's answer. */
    static final long CALL_TIMEOUT_MS = 2 * SplitFollowUp.RETRY_DELAY_MAX_MS;

    private final String nodeId;
    private final OmenConfig config;
    private final RaftServer server;
    private final ClusterClient client;
    private final NodeDataLayout layout;
    private final ScheduledExecutorService executor;
    private final MergeFollowUp merges;
    /** The table and tombstones, read once per pass (and shared with {@link AutoMerger}). */
    private final SharedMetaReads metaReads;
    private final BooleanSupplier rejoining;

    /**
     * @param executor  the split follow-up's thread
     * @param rejoining true while this node is re-admitted as a new member to the groups of a data directory it
     *                  replaced ({@link Rejoin#inProgress}): no group is created or restarted here meanwhile
     */
    ReplicaReconciler(OmenConfig config, RaftServer server, ClusterClient client, NodeDataLayout layout,
                      SharedMetaReads metaReads, BooleanSupplier rejoining, ScheduledExecutorService executor) {
        this.nodeId = config.cluster().nodeId();
        this.config = config;
        this.server = server;
        this.client = client;
        this.layout = layout;
        this.metaReads = metaReads;
        this.rejoining = rejoining;
        this.executor = executor;
        this.merges = new MergeFollowUp(nodeId, server, client, System::currentTimeMillis);
    }

    /** Runs {@link #reconcileOnce} every {@link #RECONCILE_INTERVAL_MS} on the split follow-up's thread. */
    void start() {
        executor.scheduleWithFixedDelay(() -> {
            try {
                reconcileOnce();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.debug("Node {}: reconciling new ranges failed: {}", nodeId, e.toString());
            }
        }, RECONCILE_INTERVAL_MS, RECONCILE_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Creates, without data, each new range's group this node's parent replica passed without staging (see the class note);
     * then reconciles this node's replicas with the merges the table records ({@link MergeFollowUp}). One read of the
     * meta group serves both: a fresh one, started with the pass ({@link SharedMetaReads#fresh}).
     */
    void reconcileOnce() throws Exception {
        MetaView view = metaReads.fresh().get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        merges.reconcileOnce(view);
        for (RangeDescriptor r : view.table().ranges()) {
            RaftGroupId group = RaftGroupId.valueOf(r.groupId());
            if (!r.peerIds().contains(nodeId) || rejoining.getAsBoolean()) {
                continue;
            }
            if (HostedGroups.hosts(server, group)) {
                if (HostedGroups.unconfigured(server, group)) {
                    restartOnItsPeers(r, "had no configuration and no log entry (the group was created, then the "
                            + "node was killed before the leader's first entry reached it)");
                } else if (HostedGroups.closed(server, group)) {
                    restartOnItsPeers(r, "was closed by Ratis (it shut the division down: see the division's log "
                            + "lines before this one)");
                }
                continue;
            }
            if (!parentPassedSplitOf(r) || stagedHere(r)) {
                continue;
            }
            Optional<RaftGroup> tookPart = client.admin().readmissionNeeded(client.groupOf(r),
                    GroupBootstrap.self(config),
                    GroupBootstrap.MEMBERSHIP_PROBE_TIMEOUT_MS).get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (tookPart.isPresent()) {
                LOG.warn("Node {}: does not host {} although it took part in it (its storage of it is lost); not "
                        + "re-creating it here: a lost replica must be re-admitted as a new member", nodeId, r);
                continue;
            }
            HostedGroups.add(server, client.groupOf(r));
            LOG.warn("Node {}: its replica of the range left of {} caught up past the split without staging the new "
                    + "range; created the group (no data, the range's peers), to be caught up by snapshot", nodeId, r);
        }
    }

    /**
     * Restarts this node's {@link HostedGroups#unconfigured} or {@link HostedGroups#closed} replica of {@code r} on the
     * peers the group's other members have in their configuration, when it names this node (see the class note);
     * otherwise leaves it alone (a replica being added or re-admitted is empty until its leader's configuration names
     * it; one being removed is not named).
     *
     * @param why what was wrong with the replica, for the log
     */
    private void restartOnItsPeers(RangeDescriptor r, String why) throws Exception {
        Optional<RaftGroup> members = client.admin().membersNaming(client.groupOf(r), GroupBootstrap.self(config),
                GroupBootstrap.MEMBERSHIP_PROBE_TIMEOUT_MS).get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        if (members.isEmpty()) {
            return;
        }
        try {
            HostedGroups.restartWithPeers(server, members.get());
        } catch (IOException e) {
            LOG.warn("Node {}: restarting its replica of {}, which {}, failed ({}); retried at the next pass", nodeId,
                    r, why, e.toString());
            return;
        }
        LOG.warn("Node {}: its replica of {} {}; restarted it on the peers {}", nodeId, r, why,
                members.get().getPeers());
    }

    /**
     * Whether this node staged {@code r}'s right half (its follow-up starts the group). A staging directory without
     * the staged engine is what a crash between creating it and staging into it leaves: once the parent replica is
     * past the split ({@link #parentPassedSplitOf}, so its apply will not fill it any more) it is removed, and the
     * group is created empty like a missed split's.
     */
    private boolean stagedHere(RangeDescriptor r) throws IOException {
        Path staging = layout.splitStagingDir(r.groupId());
        if (!Files.exists(staging)) {
            return false;
        }
        if (Files.isDirectory(StagedSplit.engineDir(staging))) {
            return true;
        }
        LOG.warn("Node {}: the staging directory of {} holds no staged engine (a crash interrupted the split before "
                + "the right half was staged); removing it", nodeId, r);
        FileOps.deleteRecursively(staging);
        return false;
    }

    /** Whether a local replica ends where {@code r} starts at {@code r}'s epoch or later: its parent, past the split. */
    private boolean parentPassedSplitOf(RangeDescriptor r) {
        for (RangeStateMachine sm : HostedGroups.rangeStateMachines(server)) {
            RangeBounds b = sm.rangeDescriptor();
            if (b != null && b.end() != null && Arrays.equals(b.end(), r.start()) && b.epoch() >= r.epoch()) {
                return true;
            }
        }
        return false;
    }
}
