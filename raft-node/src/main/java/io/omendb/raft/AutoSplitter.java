package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.statemachine.RangeLoad;
import io.omendb.raft.statemachine.RangeStateMachine;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Splits every range this node leads whose stored bytes passed {@code [ranges] split_size_mb} (at its byte median) or
 * whose load passed {@code split_load_ops_per_s} over the last {@code split_load_window_s} (at the load's median key,
 * so each half gets about half the load: a hot spot is cut where the requests are, not where the bytes are)
 * ({@link OmenConfig.Ranges}), through the same path as {@code POST /admin/split} ({@code ClusterAdmin#split}).
 *
 * <p><b>Why the leader, locally.</b> Each range is checked by exactly one node — the one whose replica leads it — from
 * its own engine ({@code StorageEngine#dataBytes}: counters, no I/O), so checking costs no RPC however many ranges
 * there are (the load is the leader's: it answers the linearizable reads and applies every write), and a range is
 * never split twice at once by two nodes (a leader change in between makes the second
 * split's route stale: refused, nothing changed). Range sizes are equal on every replica, so any leader decides alike.
 *
 * <p><b>Pacing.</b> One split at a time per node, each waited for; a range is not split again before
 * {@code split_cooldown_s} passed since its last attempt (successful or not), so a refused or failing split is not
 * retried in a tight loop, and the halves of a split get time to settle before they are looked at again.
 *
 * <p><b>Threading.</b> One daemon thread of its own, checking every {@code split_check_interval_s}; the clock is
 * injected for the cool-down.
 */
final class AutoSplitter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AutoSplitter.class);
    /** How long one split may take before the check moves on (it may still complete). */
    static final long SPLIT_WAIT_MS = 60_000;

    private final String nodeId;
    private final RaftServer server;
    private final ClusterClient client;
    private final OmenConfig.Ranges settings;
    private final LongSupplier clockMs;
    /** Last split attempt per range id (ms on {@link #clockMs}); touched by the checking thread only. */
    private final Map<Long, Long> lastAttemptMs = new HashMap<>();
    private final BackgroundThread thread;

    AutoSplitter(String nodeId, RaftServer server, ClusterClient client, OmenConfig.Ranges settings,
                 LongSupplier clockMs) {
        this.nodeId = nodeId;
        this.server = server;
        this.client = client;
        this.settings = settings;
        this.clockMs = clockMs;
        this.thread = new BackgroundThread("omendb-autosplit-" + nodeId);
    }

    /** Starts the periodic check, unless automatic splits are off ({@code split_size_mb = 0}). */
    void startIfEnabled() {
        if (settings.autoSplit()) {
            thread.every(settings.splitCheckIntervalS(), this::checkOnce, LOG, "Node " + nodeId
                    + ": automatic split check");
        }
    }

    /** Splits each range this node leads that is over a limit and out of its cool-down; one at a time. */
    void checkOnce() throws InterruptedException {
        for (RaftServer.Division d : HostedGroups.divisions(server)) {
            if (!d.getInfo().isLeader() || !(d.getStateMachine() instanceof RangeStateMachine sm)
                    || sm.rangeDescriptor() == null) {
                continue;
            }
            long rangeId = sm.rangeDescriptor().rangeId();
            long now = clockMs.getAsLong();
            Long last = lastAttemptMs.get(rangeId);
            if (last != null && now - last < settings.splitCooldownS() * 1000L) {
                continue;
            }
            byte[] key;
            RangeLoad.Window load = sm.load();
            if (settings.splitSizeMb() > 0 && sm.dataBytes() > settings.splitSizeMb() << 20) {
                key = null; // the byte median
                LOG.info("Node {}: range {} holds {} MiB (> split_size_mb {}); splitting it at its median", nodeId,
                        rangeId, sm.dataBytes() >> 20, settings.splitSizeMb());
            } else if (settings.splitLoadOpsPerS() > 0 && load.opsPerSecond() > settings.splitLoadOpsPerS()
                    && load.medianKeyOrNull() != null && sm.rangeDescriptor().canSplitAt(load.medianKeyOrNull())) {
                key = load.medianKeyOrNull();
                LOG.info("Node {}: range {} serves {} requests/s (> split_load_ops_per_s {}); splitting it at the "
                        + "load's median", nodeId, rangeId, Math.round(load.opsPerSecond()), settings.splitLoadOpsPerS());
            } else {
                continue;
            }
            lastAttemptMs.put(rangeId, now);
            try {
                var result = client.admin().split(rangeId, key, false).get(SPLIT_WAIT_MS, TimeUnit.MILLISECONDS);
                LOG.info("Node {}: split range {} into {} and {} in {} ms", nodeId, rangeId, result.left(),
                        result.right(), result.elapsedMs());
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    throw (InterruptedException) e;
                }
                LOG.warn("Node {}: automatic split of range {} failed (retried after split_cooldown_s): {}", nodeId,
                        rangeId, e.toString());
            }
        }
    }

    @Override
    public void close() {
        thread.close();
    }
}
