package io.omendb.raft.range;

import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;
import io.omendb.storage.Bytes;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a range replica's own log decides about its range: its id, its keys {@code [start, end)} (unsigned byte
 * order; {@code end == null}: unbounded) and its epoch. The part of a {@link RangeDescriptor} that a split or merge
 * changes by a command applied at one log index on every replica; peers and the Raft group are not in it (they
 * change by Raft configuration entries and the meta group's range table). Immutable.
 *
 * <p>A package of its own, below {@code command}, {@code storage} and {@code meta}, which all carry it (log entries,
 * snapshots, the range table): it depends on nothing of raft-node but the frame format, so none of them has to depend
 * on another to name a range.
 */
public record RangeBounds(long rangeId, byte[] start, byte[] end, long epoch) {
    public RangeBounds {
        Objects.requireNonNull(start, "start");
        if (end != null && Bytes.compare(start, end) >= 0) {
            throw new IllegalArgumentException("range " + rangeId + ": start must be < end");
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("range " + rangeId + ": epoch must be >= 0, got " + epoch);
        }
    }

    /** Writes the fields (no frame of their own): for frames that carry a replica's descriptor. */
    public static FrameWriter write(FrameWriter w, RangeBounds b) {
        return w.writeVarLong(b.rangeId()).writeBytes(b.start()).writeNullableBytes(b.end()).writeVarLong(b.epoch());
    }

    /** Reads what {@link #write} wrote; a malformed descriptor is a {@link CorruptFrameException}. */
    public static RangeBounds read(FrameReader r) {
        long id = r.readVarLong();
        byte[] start = r.readBytes();
        byte[] end = r.readNullableBytes();
        long epoch = r.readVarLong();
        try {
            return new RangeBounds(id, start, end, epoch);
        } catch (IllegalArgumentException e) {
            throw new CorruptFrameException("bad range bounds: " + e.getMessage());
        }
    }

    public boolean contains(byte[] key) {
        return Bytes.compare(key, start) >= 0 && (end == null || Bytes.compare(key, end) < 0);
    }

    /** Whether {@code key} cuts these bounds into two non-empty halves: {@code start < key < end}. */
    public boolean canSplitAt(byte[] key) {
        return Bytes.compare(key, start) > 0 && (end == null || Bytes.compare(key, end) < 0);
    }

    /** Whether every key of {@code [from, to)} ({@code to == null}: unbounded) is inside these bounds. */
    public boolean containsInterval(byte[] from, byte[] to) {
        return Bytes.compare(from, start) >= 0
                && (end == null || (to != null && Bytes.compare(to, end) <= 0));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RangeBounds b && rangeId == b.rangeId && epoch == b.epoch && Arrays.equals(start, b.start)
                && Arrays.equals(end, b.end);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rangeId, epoch, Arrays.hashCode(start), Arrays.hashCode(end));
    }

    @Override
    public String toString() {
        return "range " + rangeId + " [" + Bytes.hex(start) + ", " + (end == null ? "+inf" : Bytes.hex(end))
                + ") epoch " + epoch;
    }
}
