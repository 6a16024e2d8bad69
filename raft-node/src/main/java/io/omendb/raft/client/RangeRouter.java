package io.omendb.raft.client;

import io.omendb.raft.command.Route;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.storage.Bytes;
import io.omendb.storage.WriteBatch;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client's cached range table and the routing decisions made on it: which range a key, a batch or a range id
 * names, and which replica a read goes to. Pure (no I/O, no clock): the table is installed by whoever read it from
 * the meta group, so a simulation can drive routing with tables of its own.
 *
 * <p>Invariant: once installed, the table is replaced only as a whole (an immutable {@link RangeTable}), so every
 * decision sees one consistent table. Thread-safe.
 *
 * <p><b>Routes of groups that left the table.</b> A merge removes the right range from the table while requests
 * routed to it by the older table may still be waiting to be proposed (a coalescer's linger, a forward). Such a
 * request keeps the route the group last had ({@link #routeOfGroupOrNull}), never none: the merged-away replica is
 * frozen at an epoch above it and refuses it, so it is re-routed to the union. Without a route a replica checks the
 * keys only, and the frozen replica — whose records were already copied — took the write and acknowledged it, a lost
 * acknowledged write.
 */
public final class RangeRouter {
    /**
     * The table and its ranges by group id, replaced together; {@code retired}: the last route of every group that was
     * in an earlier table of this router and is not in this one.
     */
    private record Cached(RangeTable table, Map<UUID, RangeDescriptor> byGroup, Map<UUID, Route> retired) {
        static Cached of(Cached previousOrNull, RangeTable t) {
            Map<UUID, RangeDescriptor> byGroup = new HashMap<>();
            t.ranges().forEach(r -> byGroup.put(r.groupId(), r));
            Map<UUID, Route> retired = new HashMap<>();
            if (previousOrNull != null) {
                retired.putAll(previousOrNull.retired());
                previousOrNull.byGroup().values().forEach(r -> retired.put(r.groupId(), routeOf(r)));
                retired.keySet().removeAll(byGroup.keySet());
            }
            return new Cached(t, Map.copyOf(byGroup), Map.copyOf(retired));
        }
    }

    private final AtomicReference<Cached> table = new AtomicReference<>();
    private final String preferredReplicaOrNull;

    /** @param preferredReplicaOrNull node id stale reads go to when the range has a replica there, or null */
    public RangeRouter(String preferredReplicaOrNull) {
        this.preferredReplicaOrNull = preferredReplicaOrNull;
    }

    /** The cached range table. Throws NOT_READY before the first {@link #install}. */
    public RangeTable rangeTable() {
        Cached c = table.get();
        if (c == null) {
            throw new ClientException(ErrorCode.NOT_READY, "the range table has not been loaded yet");
        }
        return c.table();
    }

    /** Caches {@code t} (read from the meta group) for every later decision. */
    public void install(RangeTable t) {
        table.updateAndGet(c -> Cached.of(c, t));
    }

    /** Replaces the cached descriptor of {@code updated}'s range (after this client changed it in the meta group). */
    public void replaceRange(RangeDescriptor updated) {
        table.updateAndGet(c -> Cached.of(c, new RangeTable(c.table().ranges().stream()
                .map(r -> r.rangeId() == updated.rangeId() ? updated : r).toList())));
    }

    /**
     * What a request to Raft group {@code groupId} is routed by now: its range's id and epoch in the cached table; for
     * a group that left the table (merged away), the route it last had, which its replicas refuse; null for a group
     * no table of this router had (the meta group) or before the first table.
     */
    public Route routeOfGroupOrNull(UUID groupId) {
        Cached c = table.get();
        if (c == null) {
            return null;
        }
        RangeDescriptor r = c.byGroup().get(groupId);
        return r != null ? routeOf(r) : c.retired().get(groupId);
    }

    private static Route routeOf(RangeDescriptor r) {
        return new Route(r.rangeId(), r.epoch());
    }

    public RangeDescriptor rangeForKey(byte[] key) {
        return rangeTable().rangeForKey(key);
    }

    /** The range with id {@code rangeId}; NOT_FOUND when the cached table has none. */
    public RangeDescriptor rangeOrThrow(long rangeId) {
        return rangeTable().byId(rangeId).orElseThrow(() -> new ClientException(ErrorCode.NOT_FOUND,
                "no range with id " + rangeId));
    }

    /** The range of Raft group {@code groupId} in the cached table, or null (none, or no table yet). */
    public RangeDescriptor rangeOfGroupOrNull(UUID groupId) {
        Cached c = table.get();
        return c == null ? null : c.byGroup().get(groupId);
    }

    /** The one range every operation of {@code ops} falls in; CROSS_RANGE_BATCH when they span more. */
    public RangeDescriptor rangeOfBatch(List<WriteBatch.Op> ops) {
        RangeDescriptor r = rangeForKey(firstKey(ops.get(0)));
        for (WriteBatch.Op op : ops) {
            boolean inside = op instanceof WriteBatch.DeleteRange d
                    ? r.contains(d.start()) && (r.end() == null || Bytes.compare(d.end(), r.end()) <= 0)
                    : r.contains(firstKey(op));
            if (!inside) {
                throw new ClientException(ErrorCode.CROSS_RANGE_BATCH, "operation on key "
                        + Bytes.hex(firstKey(op)) + " is outside " + r + "; atomic batches are per range");
            }
        }
        return r;
    }

    /**
     * The node a read of {@code r} goes to: the one asked for, else for a stale read the preferred replica when it
     * holds one (the co-located node) or the range's first; null for a linearizable read (the leader). NOT_FOUND when
     * the node asked for holds no replica of {@code r}.
     */
    public String replicaFor(RangeDescriptor r, ReadOptions o) {
        String id = o.replica();
        if (id == null && o.consistency() == ReadOptions.Consistency.STALE) {
            id = r.peerIds().contains(preferredReplicaOrNull) ? preferredReplicaOrNull : r.peerIds().get(0);
        }
        if (id != null && !r.peerIds().contains(id)) {
            throw new ClientException(ErrorCode.NOT_FOUND, "node '" + id + "' holds no replica of range "
                    + r.rangeId());
        }
        return id;
    }

    private static byte[] firstKey(WriteBatch.Op op) {
        if (op instanceof WriteBatch.Put p) {
            return p.key();
        } else if (op instanceof WriteBatch.Delete d) {
            return d.key();
        }
        return ((WriteBatch.DeleteRange) op).start();
    }
}
