package io.omendb.raft.statemachine;

import io.omendb.storage.LoadedSegments;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The segments of split right halves that a replica of the parent has in memory, from the split's apply until this
 * node's replica of the new range adopts the half ({@link RangeStateMachine#initialize}): the adopting replica opens
 * its engine from them ({@link LoadedSegments}) instead of reading and verifying every shared segment file again,
 * which took seconds per replica for a 1-GiB range and delayed the new range's first election by as much.
 *
 * <p>Only an optimisation: a half that is not here (after a restart, or evicted) is opened from its files, with the
 * same result. The node's follow-up {@link #discard discards} a half once its group runs here (or the follow-up gave
 * up), and at most {@link #PENDING_MAX} halves wait at once (the oldest is dropped), so halves whose group never starts
 * on this node do not keep their columns reachable. One per node; thread-safe (offered on apply
 * threads, taken on Ratis' group-management thread).
 */
public final class SplitHandoff {
    /** Halves held at once; each keeps the columns of its parent's segments at the time of the split reachable. */
    static final int PENDING_MAX = 16;

    private final Map<UUID, LoadedSegments> pending = new LinkedHashMap<>();

    /** Holds {@code segments} for the replica of {@code group} that will adopt the staged half. */
    public synchronized void offer(UUID group, LoadedSegments segments) {
        if (segments.size() == 0) {
            return;
        }
        pending.put(group, segments);
        while (pending.size() > PENDING_MAX) {
            UUID oldest = pending.keySet().iterator().next();
            pending.remove(oldest);
        }
    }

    /** Drops what waits for {@code group}, if anything: its replica adopted the half already, or never will here. */
    public void discard(UUID group) {
        take(group);
    }

    /** The segments offered for {@code group}, removed from here; {@link LoadedSegments#NONE} when there are none. */
    synchronized LoadedSegments take(UUID group) {
        LoadedSegments s = pending.remove(group);
        return s == null ? LoadedSegments.NONE : s;
    }
}
