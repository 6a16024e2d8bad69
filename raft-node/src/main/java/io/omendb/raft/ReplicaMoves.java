package io.omendb.raft;

import io.omendb.placement.Move;
import io.omendb.placement.Operation;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * The replica moves the placement driver started from this node, while they are in flight: what the driver is told
 * ({@link Move}s) so that it counts them against its limits and never starts a second operation on their range.
 *
 * <p><b>A move's life.</b> Started by an {@link Operation.AddReplica}: {@code copy} adds the target to the range's group
 * and completes once the target caught up with the leader. Then the move is <i>joined</i>: the driver's next round
 * removes the source's replica (transferring leadership off it first). The move ends when the range table no longer
 * names its source (or at once for a move without a source). A copy that fails ends the move; what it left (a range
 * with one replica too many, or none too many) the driver's next round repairs, as it would any range.
 *
 * <p><b>What is not kept.</b> Moves live in the memory of the node leading the meta group: after a meta leader change
 * the new leader's driver sees a half-done move as a range with one replica too many and removes its worst-placed
 * replica (the draining or most loaded node's), which finishes a drain or balance move the same way.
 *
 * <p><b>Threading.</b> {@link #start} and {@link #current} run on the placement thread; copies complete on client
 * threads and only flip their move's flags, which the next {@link #current} reads.
 */
final class ReplicaMoves {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaMoves.class);

    private static final class Tracked {
        final Move move;
        volatile boolean joined;
        volatile boolean failed;

        Tracked(Move move) {
            this.move = move;
        }
    }

    private final Map<Long, Tracked> byRange = new ConcurrentHashMap<>();
    /** Copies a replica: (range id, target node id) to a future completing once the target caught up. */
    private final BiFunction<Long, String, CompletableFuture<Void>> copy;
    private volatile long completed;

    ReplicaMoves(BiFunction<Long, String, CompletableFuture<Void>> copy) {
        this.copy = copy;
    }

    /** Starts the move {@code add} asks for, unless one of its range is in flight already. */
    void start(Operation.AddReplica add, long nowMs) {
        Tracked t = new Tracked(new Move(add.rangeId(), add.target(), add.sourceNodeId(), nowMs, false));
        if (byRange.putIfAbsent(add.rangeId(), t) != null) {
            return;
        }
        copy.apply(add.rangeId(), add.target().nodeId()).whenComplete((v, e) -> {
            if (e != null) {
                LOG.warn("Moving a replica of range {} to {} failed: {}", add.rangeId(), add.target().nodeId(),
                        e.toString());
                t.failed = true;
            } else {
                t.joined = true;
            }
        });
    }

    /**
     * The moves still in flight as the driver must see them, after dropping those that ended: failed, or joined with
     * their source no longer named by {@code table}.
     */
    List<Move> current(RangeTable table) {
        List<Move> out = new ArrayList<>();
        for (Tracked t : byRange.values()) {
            Move m = t.move;
            Optional<RangeDescriptor> range = table.byId(m.rangeId());
            boolean sourceGone = m.sourceNodeId() == null || range.isEmpty()
                    || !range.get().peerIds().contains(m.sourceNodeId());
            if (t.failed || t.joined && sourceGone) {
                byRange.remove(m.rangeId(), t);
                completed += t.failed ? 0 : 1;
            } else {
                out.add(t.joined ? new Move(m.rangeId(), m.target(), m.sourceNodeId(), m.startedMs(), true) : m);
            }
        }
        return out;
    }

    /** The node a copy in flight is adding to range {@code rangeId} (not a voter the driver may count yet), if any. */
    Optional<String> copyingTo(long rangeId) {
        Tracked t = byRange.get(rangeId);
        return t == null || t.joined ? Optional.empty() : Optional.of(t.move.target().nodeId());
    }

    int inFlight() {
        return byRange.size();
    }

    long completed() {
        return completed;
    }
}
