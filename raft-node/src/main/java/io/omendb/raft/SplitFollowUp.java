package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.MetaView;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.statemachine.RangeStateMachine;
import io.omendb.raft.statemachine.ShapeListener;
import io.omendb.raft.statemachine.SplitHandoff;
import io.omendb.raft.statemachine.StagedSplit;
import io.omendb.storage.FileOps;
import io.omendb.storage.LoadedSegments;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What a node does after one of its replicas applied a split ({@link ShapeListener}): (0) keep the right half's segments
 * as the parent's engine has them loaded for the replica that adopts it ({@link SplitHandoff}, on the apply thread;
 * dropped once the group runs here); (1) start the new range's Raft
 * group on this node, on the parent's peers, from the staged right half (the group's state machine adopts it); (2) make
 * sure the meta group's range table shows the split ({@code ClusterAdmin#recordSplit}: one atomic compare-and-set of
 * both descriptors, a no-op once any replica's node or the proposer did it). Both steps are idempotent, so every
 * replica's node does them and the first to succeed wins; together they finish a split whose proposer died after the
 * split entry committed.
 *
 * <p><b>Restart.</b> {@link #resumeStaged} runs at start for every staged right half still waiting: a crash after the
 * split applied but before its group started (and after a snapshot that will not replay the split entry) is finished
 * here.
 *
 * <p><b>A replica that never staged the half</b> ({@link #reconcileOnce}, every {@link #RECONCILE_INTERVAL_MS}): a
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
 * <p><b>A replica created but never configured</b> ({@link #reconcileOnce}): a node killed after it created a new
 * range's group (its follow-up above, or the reconciler) and before the leader's first entry reached it restarts
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
 * <p><b>First leader.</b> The node whose replica led the parent when the split applied campaigns for the new range
 * as soon as a majority of its replicas run it ({@link FirstCampaign}), so the new range takes requests without
 * waiting for election timers.
 *
 * <p><b>Retries.</b> Each follow-up is retried on its own schedule, waiting {@link #RETRY_DELAY_INITIAL_MS} doubling
 * to {@link #RETRY_DELAY_MAX_MS}, until it succeeds or {@link #RETRY_DEADLINE_MS} passed (then logged at ERROR: the
 * range table still shows the parent unsplit, so its requests are refused and re-routed until an operator runs
 * {@code admin split} again or restarts a replica's node).
 *
 * <p><b>Threading.</b> One daemon thread of its own: {@link #splitApplied} (called on apply threads) only enqueues.
 */
final class SplitFollowUp implements ShapeListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SplitFollowUp.class);
    static final long RETRY_DELAY_INITIAL_MS = 200;
    static final long RETRY_DELAY_MAX_MS = 5_000;
    static final long RETRY_DEADLINE_MS = 3_600_000;
    /** How often the node looks for new ranges the table gives it but it never staged (see the class note). */
    static final long RECONCILE_INTERVAL_MS = 10_000;

    private final String nodeId;
    private final OmenConfig config;
    private final RaftServer server;
    private final ClusterClient client;
    private final NodeDataLayout layout;
    private final BackgroundThread thread;
    private final ScheduledExecutorService executor;
    private final MergeFollowUp merges;
    /** The table and tombstones, read once per pass (and shared with {@link AutoMerger}). */
    private final SharedMetaReads metaReads;
    /** Where a right half's loaded segments wait for this node's replica of the new range to adopt them. */
    private final SplitHandoff handoff;
    private final BooleanSupplier rejoining;
    /** Elects the new range's first leader here when this node's replica led the parent. */
    private final FirstCampaign campaign;

    /**
     * @param rejoining true while this node is re-admitted as a new member to the groups of a data directory it
     *                  replaced ({@link Rejoin#inProgress}): no new range's group is created here meanwhile
     */
    SplitFollowUp(OmenConfig config, RaftServer server, ClusterClient client, NodeDataLayout layout,
                  SharedMetaReads metaReads, SplitHandoff handoff, BooleanSupplier rejoining) {
        this.config = config;
        this.handoff = handoff;
        this.rejoining = rejoining;
        this.metaReads = metaReads;
        this.nodeId = config.cluster().nodeId();
        this.server = server;
        this.client = client;
        this.layout = layout;
        this.thread = new BackgroundThread("omendb-splits-" + nodeId);
        this.executor = thread.executor();
        this.merges = new MergeFollowUp(nodeId, server, client, System::currentTimeMillis);
        this.campaign = new FirstCampaign(server, client.admin(), executor, System::nanoTime);
    }

    @Override
    public void splitApplied(RaftGroupId parent, StagedSplit split, LoadedSegments rightSegments) {
        handoff.offer(split.group(), rightSegments);
        schedule(parent, split, System.nanoTime(), 0, RETRY_DELAY_INITIAL_MS,
                System.currentTimeMillis() + RETRY_DEADLINE_MS);
    }

    /**
     * Follows up every staged right half whose group this node does not host yet (after a restart), once the range
     * table names their parents; retried like a follow-up while the meta group has no leader yet.
     */
    void startReconciling() {
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
        MetaView view = metaReads.fresh().get(RETRY_DELAY_MAX_MS * 2, TimeUnit.MILLISECONDS);
        merges.reconcileOnce(view);
        for (RangeDescriptor r : view.table().ranges()) {
            RaftGroupId group = RaftGroupId.valueOf(r.groupId());
            if (!r.peerIds().contains(nodeId) || rejoining.getAsBoolean()) {
                continue;
            }
            if (hosts(group)) {
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
                    GroupBootstrap.MEMBERSHIP_PROBE_TIMEOUT_MS).get(RETRY_DELAY_MAX_MS * 2, TimeUnit.MILLISECONDS);
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
                GroupBootstrap.MEMBERSHIP_PROBE_TIMEOUT_MS).get(RETRY_DELAY_MAX_MS * 2, TimeUnit.MILLISECONDS);
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

    void resumeStaged() {
        resume(RETRY_DELAY_INITIAL_MS, System.currentTimeMillis() + RETRY_DEADLINE_MS);
    }

    private void resume(long delayMs, long deadline) {
        try {
            executor.execute(() -> {
                try {
                    resumeNow();
                } catch (Exception e) {
                    if (System.currentTimeMillis() + delayMs > deadline) {
                        LOG.error("Node {}: gave up resuming staged splits", nodeId, e);
                        return;
                    }
                    executor.schedule(() -> resume(Math.min(delayMs * 2, RETRY_DELAY_MAX_MS), deadline), delayMs,
                            TimeUnit.MILLISECONDS);
                }
            });
        } catch (RejectedExecutionException closed) {
            LOG.info("Node {}: closing before staged splits were resumed; they are at the next start", nodeId);
        }
    }

    private void resumeNow() throws Exception {
        List<UUID> waiting = new ArrayList<>();
        for (UUID group : layout.stagedSplits()) {
            if (!hosts(RaftGroupId.valueOf(group))) {
                waiting.add(group);
            }
        }
        if (waiting.isEmpty()) {
            return;
        }
        RangeTable table = client.refreshRangeTable().get(RETRY_DELAY_MAX_MS * 2, TimeUnit.MILLISECONDS);
        for (UUID group : waiting) {
            Optional<StagedSplit> staged = StagedSplit.readFrom(layout.splitStagingDir(group));
            Optional<RangeDescriptor> parent = staged.flatMap(s -> table.byId(s.left().rangeId()));
            if (parent.isPresent()) {
                LOG.info("Node {}: resuming the split that staged group {}", nodeId, group);
                splitApplied(RaftGroupId.valueOf(parent.get().groupId()), staged.get(), LoadedSegments.NONE);
            } else {
                LOG.warn("Node {}: staged group {} has no record or no parent range; left as is", nodeId, group);
            }
        }
    }

    private void schedule(RaftGroupId parent, StagedSplit split, long appliedNanos, long delayMs, long nextDelayMs,
                          long deadline) {
        try {
            executor.schedule(() -> attempt(parent, split, appliedNanos, nextDelayMs, deadline), delayMs,
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            LOG.info("Node {}: closing; the split that staged group {} is followed up at the next start", nodeId,
                    split.group());
        }
    }

    private void attempt(RaftGroupId parent, StagedSplit split, long appliedNanos, long delayMs, long deadline) {
        try {
            startRightGroup(parent, split, appliedNanos);
            if (ledParent(parent)) {
                campaign.start(RaftGroupId.valueOf(split.group()), config.performance().electionTimeoutMaxMs());
            }
            handoff.discard(split.group()); // adopted (or the group was hosted already): nothing waits for it any more
            long recordNanos = System.nanoTime();
            client.admin().recordSplit(split.left(), split.right(), split.group()).get(RETRY_DELAY_MAX_MS * 2, TimeUnit.MILLISECONDS);
            LOG.debug("Node {}: the range table shows the split that made {} ({} ms, {} ms after the split applied)",
                    nodeId, split.right(), (System.nanoTime() - recordNanos) / 1_000_000,
                    (System.nanoTime() - appliedNanos) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (System.currentTimeMillis() + delayMs > deadline) {
                handoff.discard(split.group());
                LOG.error("Node {}: gave up following up the split of range {} into {} after {} ms; run `admin "
                        + "split` for the range again or restart this node", nodeId, split.left().rangeId(),
                        split.right(), RETRY_DEADLINE_MS, e);
                return;
            }
            LOG.info("Node {}: following up the split that made {} failed ({}); retrying in {} ms", nodeId,
                    split.right(), e.toString(), delayMs);
            schedule(parent, split, appliedNanos, delayMs, Math.min(delayMs * 2, RETRY_DELAY_MAX_MS), deadline);
        }
    }

    /**
     * Adds the right half's group on the parent's current peers, unless this node hosts it already; logs how long
     * the follow-up waited for this thread and how long the group took to start (its replica adopts the staged engine
     * meanwhile).
     */
    private void startRightGroup(RaftGroupId parent, StagedSplit split, long appliedNanos) throws IOException {
        RaftGroupId child = RaftGroupId.valueOf(split.group());
        if (hosts(child)) {
            return;
        }
        long startNanos = System.nanoTime();
        RaftGroup group = RaftGroup.valueOf(child, server.getDivision(parent).getGroup().getPeers());
        if (HostedGroups.add(server, group)) {
            LOG.info("Node {}: started group {} for {} in {} ms, {} ms after the split applied", nodeId, child,
                    split.right(), (System.nanoTime() - startNanos) / 1_000_000,
                    (System.nanoTime() - appliedNanos) / 1_000_000);
        }
    }

    /** Whether this node's replica of {@code parent} leads it: the new range's first campaigner. */
    private boolean ledParent(RaftGroupId parent) {
        try {
            return server.getDivision(parent).getInfo().isLeader();
        } catch (IOException gone) {
            return false;
        }
    }

    private boolean hosts(RaftGroupId group) {
        return HostedGroups.hosts(server, group);
    }

    @Override
    public void close() {
        thread.close();
    }
}
