package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.raft.statemachine.ShapeListener;
import io.omendb.raft.statemachine.SplitHandoff;
import io.omendb.raft.statemachine.StagedSplit;
import io.omendb.storage.LoadedSegments;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
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
 * <p><b>Replicas the follow-ups missed</b> (a replica that never staged the half, one created but never configured,
 * one Ratis closed) are found and repaired by the {@link ReplicaReconciler}, on this follow-up's thread.
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

    private final String nodeId;
    private final OmenConfig config;
    private final RaftServer server;
    private final ClusterClient client;
    private final NodeDataLayout layout;
    private final BackgroundThread thread;
    private final ScheduledExecutorService executor;
    /** Repairs the replicas follow-ups missed, on this follow-up's thread. */
    private final ReplicaReconciler reconciler;
    /** Where a right half's loaded segments wait for this node's replica of the new range to adopt them. */
    private final SplitHandoff handoff;
    /** Elects the new range's first leader here when this node's replica led the parent. */
    private final FirstCampaign campaign;

    /**
     * @param rejoining true while this node is re-admitted as a new member to the groups of a data directory it
     *                  replaced ({@link Rejoin#inProgress}): the reconciler creates no group here meanwhile
     */
    SplitFollowUp(OmenConfig config, RaftServer server, ClusterClient client, NodeDataLayout layout,
                  SharedMetaReads metaReads, SplitHandoff handoff, BooleanSupplier rejoining) {
        this.config = config;
        this.handoff = handoff;
        this.nodeId = config.cluster().nodeId();
        this.server = server;
        this.client = client;
        this.layout = layout;
        this.thread = new BackgroundThread("omendb-splits-" + nodeId);
        this.executor = thread.executor();
        this.reconciler = new ReplicaReconciler(config, server, client, layout, metaReads, rejoining, executor);
        this.campaign = new FirstCampaign(server, client.admin(), executor, System::nanoTime);
    }

    @Override
    public void splitApplied(RaftGroupId parent, StagedSplit split, LoadedSegments rightSegments) {
        handoff.offer(split.group(), rightSegments);
        schedule(parent, split, System.nanoTime(), 0, RETRY_DELAY_INITIAL_MS,
                System.currentTimeMillis() + RETRY_DEADLINE_MS);
    }

    /** Starts the {@link ReplicaReconciler}'s passes on this follow-up's thread. */
    void startReconciling() {
        reconciler.start();
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
            if (startRightGroup(parent, split, appliedNanos) && ledParent(parent)) {
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
     * meanwhile). True when this call started it (not a retry's second pass, nor a group another path made).
     */
    private boolean startRightGroup(RaftGroupId parent, StagedSplit split, long appliedNanos) throws IOException {
        RaftGroupId child = RaftGroupId.valueOf(split.group());
        if (hosts(child)) {
            return false;
        }
        long startNanos = System.nanoTime();
        RaftGroup group = RaftGroup.valueOf(child, server.getDivision(parent).getGroup().getPeers());
        if (!HostedGroups.add(server, group)) {
            return false;
        }
        LOG.info("Node {}: started group {} for {} in {} ms, {} ms after the split applied", nodeId, child,
                split.right(), (System.nanoTime() - startNanos) / 1_000_000,
                (System.nanoTime() - appliedNanos) / 1_000_000);
        return true;
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
