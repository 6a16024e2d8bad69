package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.statemachine.RangeStateMachine;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Merges small, cold neighbours automatically ({@code [ranges] merge_size_mb}): the node leading a range (the left one)
 * merges it with its right neighbour through the same path as {@code POST /admin/merge} ({@code ClusterAdmin#merge})
 * when
 * <ul>
 *   <li>both store less than {@code merge_size_mb}, and together less than half of {@code split_size_mb}, so the union
 *       is not split again at once (the configuration refuses {@code merge_size_mb} above half of
 *       {@code split_size_mb});</li>
 *   <li>both are cold: when load splits are on, together they serve less than half of {@code split_load_ops_per_s}
 *       (CockroachDB's rule), so a union is never hot enough to be split by load again;</li>
 *   <li>both kept their shape (same epoch) for {@code split_cooldown_s}, as this node saw it, so a range just split
 *       or merged is left alone;</li>
 *   <li>the boundary is not one the operator chose: neither an {@code [cluster] initial_split_points} key nor a
 *       point {@code admin split} split at (a sticky mark in the meta group, cleared by {@code admin merge}).</li>
 * </ul>
 * Only the left range's leader decides, from its own engine counters and one linearizable size read of the neighbour,
 * so a pair is never merged by two nodes at once (and a second attempt would be refused: the range changed). The
 * range table it looks at is the node's latest meta read ({@link SharedMetaReads#recent}), shared with the split and
 * merge reconciler: a few seconds old at most, which is safe because the merge reads the table again and commits by
 * compare-and-set.
 *
 * <p><b>Threading.</b> One daemon thread of its own, checking every {@code split_check_interval_s}, one merge at a
 * time; the clock is injected.
 */
final class AutoMerger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AutoMerger.class);
    /** How long one merge or size read may take before the check moves on. */
    static final long CALL_WAIT_MS = 60_000;

    private final String nodeId;
    private final RaftServer server;
    private final ClusterClient client;
    /** The range table, read at most once per reconcile interval for this role and the reconciler together. */
    private final SharedMetaReads metaReads;
    private final OmenConfig.Ranges settings;
    private final Set<ByteBuffer> initialSplitPoints;
    private final LongSupplier clockMs;
    /** Per range id: the epoch last seen and since when (ms on {@link #clockMs}). Checking thread only. */
    private final EpochsSeen shapes = new EpochsSeen();
    private final BackgroundThread thread;

    AutoMerger(OmenConfig config, RaftServer server, ClusterClient client, SharedMetaReads metaReads,
               LongSupplier clockMs) {
        this.nodeId = config.cluster().nodeId();
        this.metaReads = metaReads;
        this.server = server;
        this.client = client;
        this.settings = config.ranges();
        this.initialSplitPoints = ClusterLayout.initialRanges(config.database().name(), config.cluster()).stream()
                .map(RangeDescriptor::start).filter(k -> k.length > 0).map(ByteBuffer::wrap).collect(Collectors.toSet());
        this.clockMs = clockMs;
        this.thread = new BackgroundThread("omendb-automerge-" + nodeId);
    }

    /** Starts the periodic check, unless automatic merges are off ({@code merge_size_mb = 0}). */
    void startIfEnabled() {
        if (settings.mergeSizeMb() > 0) {
            thread.every(settings.splitCheckIntervalS(), this::checkOnce, LOG, "Node " + nodeId
                    + ": automatic merge check");
        }
    }

    /** Merges at most one pair this node's replica leads the left range of; see the class note for when. */
    void checkOnce() throws Exception {
        RangeTable table = metaReads.recent().get(CALL_WAIT_MS, TimeUnit.MILLISECONDS).table();
        long now = clockMs.getAsLong();
        table.ranges().forEach(r -> shapes.observe(r.rangeId(), r.epoch(), now));
        shapes.retainOnly(id -> table.byId(id).isPresent());
        for (RaftServer.Division d : HostedGroups.divisions(server)) {
            if (!d.getInfo().isLeader() || !(d.getStateMachine() instanceof RangeStateMachine sm)) {
                continue;
            }
            Optional<RangeDescriptor[]> pair = candidate(table, sm, now);
            if (pair.isEmpty()) {
                continue;
            }
            RangeDescriptor left = pair.get()[0];
            RangeDescriptor right = pair.get()[1];
            QueryResult.Size rightSize = client.admin().rangeSize(right.rangeId())
                    .get(CALL_WAIT_MS, TimeUnit.MILLISECONDS);
            if (!small(sm.dataBytes(), rightSize.dataBytes()) || !cold(sm.load().opsPerSecond(),
                    rightSize.opsPerSecond())
                    || client.admin().stickySplit(left.end()).get(CALL_WAIT_MS, TimeUnit.MILLISECONDS)) {
                continue;
            }
            LOG.info("Node {}: merging range {} ({} bytes) with range {} ({} bytes): both under merge_size_mb {}",
                    nodeId, left.rangeId(), sm.dataBytes(), right.rangeId(), rightSize.dataBytes(),
                    settings.mergeSizeMb());
            shapes.restart(left.rangeId(), now); // attempted: wait a cool-down before trying again
            try {
                var result = client.admin().merge(left.rangeId()).get(CALL_WAIT_MS, TimeUnit.MILLISECONDS);
                LOG.info("Node {}: merged range {} into {} in {} ms", nodeId, right.rangeId(), result.merged(),
                        result.elapsedMs());
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    throw e;
                }
                LOG.warn("Node {}: automatic merge of ranges {} and {} failed (tried again after split_cooldown_s): {}",
                        nodeId, left.rangeId(), right.rangeId(), e.toString());
            }
            return;
        }
    }

    /**
     * The range {@code sm} leads and its right neighbour, when their shapes are settled and old enough, the boundary
     * is not an initial split point and the local range is small; the neighbour's size is checked by the caller.
     */
    private Optional<RangeDescriptor[]> candidate(RangeTable table, RangeStateMachine sm, long now) {
        RangeBounds b = sm.rangeDescriptor();
        if (b == null || b.end() == null || initialSplitPoints.contains(ByteBuffer.wrap(b.end()))) {
            return Optional.empty();
        }
        Optional<RangeDescriptor> left = table.byId(b.rangeId());
        if (left.isEmpty() || !Arrays.equals(left.get().end(), b.end()) || !settled(left.get(), now)
                || sm.dataBytes() >= settings.mergeSizeMb() << 20) {
            return Optional.empty();
        }
        RangeDescriptor right = table.rangeForKey(b.end());
        return settled(right, now) ? Optional.of(new RangeDescriptor[]{left.get(), right}) : Optional.empty();
    }

    private boolean settled(RangeDescriptor r, long now) {
        return shapes.heldFor(r.rangeId(), r.epoch(), now, settings.splitCooldownS() * 1000L);
    }

    private boolean small(long leftBytes, long rightBytes) {
        long limit = settings.mergeSizeMb() << 20;
        return leftBytes < limit && rightBytes < limit
                && (settings.splitSizeMb() == 0 || leftBytes + rightBytes < (settings.splitSizeMb() << 20) / 2);
    }

    private boolean cold(double leftOpsPerS, double rightOpsPerS) {
        return settings.splitLoadOpsPerS() == 0 || leftOpsPerS + rightOpsPerS < settings.splitLoadOpsPerS() / 2.0;
    }

    @Override
    public void close() {
        thread.close();
    }
}
