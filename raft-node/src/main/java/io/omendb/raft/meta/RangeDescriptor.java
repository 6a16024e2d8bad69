package io.omendb.raft.meta;

import io.omendb.raft.range.RangeBounds;
import io.omendb.storage.Bytes;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One key range of the database: keys in {@code [start, end)} (unsigned byte order; {@code end == null} means
 * unbounded) are replicated by the Raft group {@code groupId} on {@code peerIds}. {@code epoch} increases on every
 * change of the descriptor (membership, future splits), so a stale copy can be told apart. Immutable.
 */
public record RangeDescriptor(long rangeId, byte[] start, byte[] end, UUID groupId, List<String> peerIds, long epoch) {
    public RangeDescriptor {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(groupId, "groupId");
        peerIds = List.copyOf(peerIds);
        if (end != null && Bytes.compare(start, end) >= 0) {
            throw new IllegalArgumentException("range " + rangeId + ": start must be < end");
        }
        if (peerIds.isEmpty()) {
            throw new IllegalArgumentException("range " + rangeId + ": no peers");
        }
    }

    public boolean contains(byte[] key) {
        return Bytes.compare(key, start) >= 0 && (end == null || Bytes.compare(key, end) < 0);
    }

    /** The bounds and epoch of this descriptor: what its range's replicas record in their log. */
    public RangeBounds bounds() {
        return new RangeBounds(rangeId, start, end, epoch);
    }

    public RangeDescriptor withPeers(List<String> newPeers) {
        return new RangeDescriptor(rangeId, start, end, groupId, newPeers, epoch + 1);
    }

    @Override
    public String toString() {
        return "range " + rangeId + " [" + Bytes.hex(start) + ", " + (end == null ? "+inf" : Bytes.hex(end)) + ") group "
                + groupId + " peers " + peerIds + " epoch " + epoch;
    }
}
