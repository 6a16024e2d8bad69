package io.omendb.raft.meta;

import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * How the range table is stored in the meta group: one key per range, {@code "range/" + rangeId (8 bytes,
 * big-endian)}, so a scan of the {@code range/} prefix returns the table in id order; the value is a checksummed
 * frame. Stateless.
 */
public final class RangeDescriptorCodec {
    public static final byte[] KEY_PREFIX = "range/".getBytes(StandardCharsets.UTF_8);
    /** Exclusive end of the {@code range/} key prefix ('/' + 1 = '0'). */
    public static final byte[] KEY_PREFIX_END = "range0".getBytes(StandardCharsets.UTF_8);
    /**
     * The meta group's counter of range ids (8 bytes, big-endian: the next id to give), outside the descriptors'
     * key prefix; absent until the first split, when it starts above the table's highest id.
     */
    public static final byte[] NEXT_RANGE_ID_KEY = "next-range-id".getBytes(StandardCharsets.UTF_8);
    /**
     * Prefix of the meta group's marks of boundaries an operator split at ({@code "sticky-split/" + key}, empty value):
     * automatic merges never remove them (an operator's split stays until an operator merges).
     */
    public static final byte[] STICKY_SPLIT_PREFIX = "sticky-split/".getBytes(StandardCharsets.UTF_8);
    private static final int KIND = 1;
    private static final int PEERS_MAX = 64;

    private RangeDescriptorCodec() {
    }

    public static byte[] key(long rangeId) {
        return ByteBuffer.allocate(KEY_PREFIX.length + Long.BYTES).put(KEY_PREFIX).putLong(rangeId).array();
    }

    /** The meta key marking {@code boundary} as an operator's split point. */
    public static byte[] stickySplitKey(byte[] boundary) {
        return ByteBuffer.allocate(STICKY_SPLIT_PREFIX.length + boundary.length).put(STICKY_SPLIT_PREFIX).put(boundary)
                .array();
    }

    public static byte[] encode(RangeDescriptor d) {
        FrameWriter w = new FrameWriter(KIND).writeVarLong(d.rangeId()).writeBytes(d.start())
                .writeNullableBytes(d.end()).writeVarLong(d.groupId().getMostSignificantBits())
                .writeVarLong(d.groupId().getLeastSignificantBits()).writeVarLong(d.peerIds().size());
        d.peerIds().forEach(p -> w.writeBytes(p.getBytes(StandardCharsets.UTF_8)));
        return w.writeVarLong(d.epoch()).finish();
    }

    public static RangeDescriptor decode(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        if (r.kind() != KIND) {
            throw new CorruptFrameException("unknown range descriptor kind " + r.kind());
        }
        long id = r.readVarLong();
        byte[] start = r.readBytes();
        byte[] end = r.readNullableBytes();
        UUID group = new UUID(r.readVarLong(), r.readVarLong());
        int n = r.readCount(PEERS_MAX);
        List<String> peers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            peers.add(new String(r.readBytes(), StandardCharsets.UTF_8));
        }
        long epoch = r.readVarLong();
        r.expectEnd();
        return new RangeDescriptor(id, start, end, group, peers, epoch);
    }
}
