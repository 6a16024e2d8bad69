package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.command.Route;
import io.omendb.raft.range.RangeBounds;
import io.omendb.storage.WriteBatch;

import java.util.List;

/**
 * Decides whether a range replica accepts a request: pure (no state, no clock), so every replica that applies an
 * entry with the same descriptor decides the same way. Each method answers null (accepted) or the refusal.
 *
 * <p><b>Rules</b>, against the descriptor {@code current} the replica has recorded (at the entry's index for writes,
 * when answering for reads):
 * <ul>
 *   <li>No descriptor recorded (a range whose log has no {@link Command.SetDescriptor} yet: created by an older
 *       build, or before its first descriptor entry; the meta group): everything is accepted, as before.</li>
 *   <li>A route naming another range id: {@link RangeRefusal.Reason#WRONG_RANGE}.</li>
 *   <li>A route with an epoch below the replica's: {@link RangeRefusal.Reason#STALE_EPOCH}. A <em>higher</em> epoch is
 *       accepted: the range table's epoch also counts membership changes, which do not touch the replica's
 *       descriptor, so a current table may be ahead of it. Splits and merges set the replica's epoch above every epoch
 *       the table had before (see docs/ARCHITECTURE.md, "Ranges and epochs").</li>
 *   <li>Any key, or any part of an interval, outside {@code [start, end)}:
 *       {@link RangeRefusal.Reason#KEY_OUTSIDE_RANGE}. Checked with or without a route: entries from before routes
 *       existed were routed by a table too.</li>
 *   <li>Keyless requests (maintenance, backup checkpoints, descriptors, status, digests, forwards) are not
 *       checked.</li>
 * </ul>
 */
public final class EpochCheck {
    private EpochCheck() {
    }

    /** The route alone (a group's, before its members' keys). */
    public static RangeRefusal route(RangeBounds current, Route route) {
        if (current == null || route == null) {
            return null;
        }
        if (route.rangeId() != current.rangeId()) {
            return new RangeRefusal(RangeRefusal.Reason.WRONG_RANGE, current);
        }
        return route.epoch() < current.epoch() ? new RangeRefusal(RangeRefusal.Reason.STALE_EPOCH, current) : null;
    }

    public static RangeRefusal key(RangeBounds current, byte[] key) {
        return current == null || current.contains(key) ? null
                : new RangeRefusal(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, current);
    }

    /** {@code [start, end)}, {@code end == null}: unbounded. */
    public static RangeRefusal interval(RangeBounds current, byte[] start, byte[] end) {
        return current == null || current.containsInterval(start, end) ? null
                : new RangeRefusal(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, current);
    }

    /** A command's route and keys; a {@link Command.Group}'s route only (its members are decided one by one). */
    public static RangeRefusal command(RangeBounds current, Route route, Command c) {
        if (current == null || !hasKeys(c)) {
            return null;
        }
        RangeRefusal r = route(current, route);
        if (r != null || c instanceof Command.Group) {
            return r;
        }
        if (c instanceof Command.Batch b) {
            return batch(current, b.ops());
        } else if (c instanceof Command.DeleteRange d) {
            return interval(current, d.start(), d.end());
        }
        return key(current, Command.singleKeyOf(c));
    }

    /** A read's route and keys. */
    public static RangeRefusal query(RangeBounds current, Route route, Query q) {
        if (current == null || !(q instanceof Query.Get || q instanceof Query.MultiGet || q instanceof Query.Scan)) {
            return null;
        }
        RangeRefusal r = route(current, route);
        if (r != null) {
            return r;
        } else if (q instanceof Query.Get g) {
            return key(current, g.key());
        } else if (q instanceof Query.MultiGet m) {
            for (byte[] k : m.keys()) {
                RangeRefusal kr = key(current, k);
                if (kr != null) {
                    return kr;
                }
            }
            return null;
        }
        Query.Scan s = (Query.Scan) q;
        return interval(current, s.start(), s.end());
    }

    private static boolean hasKeys(Command c) {
        return c instanceof Command.Group || c instanceof Command.Batch || c instanceof Command.DeleteRange
                || Command.singleKeyOf(c) != null;
    }

    private static RangeRefusal batch(RangeBounds current, List<WriteBatch.Op> ops) {
        for (WriteBatch.Op op : ops) {
            RangeRefusal r = op instanceof WriteBatch.DeleteRange d ? interval(current, d.start(), d.end())
                    : key(current, op instanceof WriteBatch.Put p ? p.key() : ((WriteBatch.Delete) op).key());
            if (r != null) {
                return r;
            }
        }
        return null;
    }
}
