package io.omendb.raft.meta;

import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What the meta group keeps of a range a merge removed: its id, the range it went into, where it started and the
 * merged range's epoch. Written in the same compare-and-set that removes the source's descriptor, so a node that
 * still hosts a replica of the source (or of the target, from before the merge) learns from the table alone what
 * happened to it: the source's replicas are deleted, the target's descriptor is widened. Stored under
 * {@code "merged/" + rangeId (8 bytes, big-endian)} as a checksummed frame; range ids are never reused, so a
 * tombstone never goes stale. Immutable.
 */
public record MergeTombstone(long sourceRangeId, long intoRangeId, byte[] sourceStart, long mergedEpoch) {
    public static final byte[] KEY_PREFIX = "merged/".getBytes(StandardCharsets.UTF_8);
    /** Exclusive end of the {@code merged/} key prefix ('/' + 1 = '0'). */
    public static final byte[] KEY_PREFIX_END = "merged0".getBytes(StandardCharsets.UTF_8);
    private static final int KIND = 2;

    public MergeTombstone {
        Objects.requireNonNull(sourceStart, "sourceStart");
    }

    public static byte[] key(long rangeId) {
        return ByteBuffer.allocate(KEY_PREFIX.length + Long.BYTES).put(KEY_PREFIX).putLong(rangeId).array();
    }

    public byte[] encode() {
        return new FrameWriter(KIND).writeVarLong(sourceRangeId).writeVarLong(intoRangeId).writeBytes(sourceStart)
                .writeVarLong(mergedEpoch).finish();
    }

    public static MergeTombstone decode(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        if (r.kind() != KIND) {
            throw new CorruptFrameException("unknown merge tombstone kind " + r.kind());
        }
        MergeTombstone t = new MergeTombstone(r.readVarLong(), r.readVarLong(), r.readBytes(), r.readVarLong());
        r.expectEnd();
        return t;
    }
}
