package io.omendb.raft.meta;

import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;

import java.nio.charset.StandardCharsets;

/**
 * Which data directory each member is, as the meta group records it: one key per node,
 * {@code "incarnation/" + node id (UTF-8)}, outside the {@code member/}..{@code range/} keys the range table's scan
 * reads; the value is a checksummed frame holding the incarnation of the node's data directory
 * ({@code NodeMetadataStore.NodeIdentity#incarnation}). A node records its own once it serves every group the range
 * table gives it with that directory; a node that finds another incarnation recorded under its id has lost the
 * directory the cluster knew (a wiped or replaced disk) and must be re-admitted to its groups as a new member before it
 * records its own. Kept apart from the member record, which says where a node is reached and is written before the node
 * holds anything. Stateless.
 */
public final class IncarnationCodec {
    public static final byte[] KEY_PREFIX = "incarnation/".getBytes(StandardCharsets.UTF_8);
    /** Exclusive end of the {@code incarnation/} key prefix ('/' + 1 = '0'). */
    public static final byte[] KEY_PREFIX_END = "incarnation0".getBytes(StandardCharsets.UTF_8);
    private static final int KIND = 4;

    private IncarnationCodec() {
    }

    public static byte[] key(String nodeId) {
        return MetaKeys.withId(KEY_PREFIX, nodeId);
    }

    /** The node id a key of the {@code incarnation/} prefix names. */
    public static String nodeId(byte[] key) {
        return MetaKeys.idOf(KEY_PREFIX, key);
    }

    public static byte[] encode(long incarnation) {
        if (incarnation == 0) {
            throw new IllegalArgumentException("incarnation 0 means none and is never recorded");
        }
        return new FrameWriter(KIND).writeVarLong(incarnation).finish();
    }

    public static long decode(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        if (r.kind() != KIND) {
            throw new CorruptFrameException("unknown incarnation record kind " + r.kind());
        }
        long incarnation = r.readVarLong();
        r.expectEnd();
        if (incarnation == 0) {
            throw new CorruptFrameException("incarnation record of 0");
        }
        return incarnation;
    }

    /** How an incarnation is shown to operators (logs, {@code GET /admin/nodes}): 16 hex digits. */
    public static String shown(long incarnation) {
        return String.format("%016x", incarnation);
    }
}
