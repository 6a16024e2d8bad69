package io.omendb.raft.meta;

import io.omendb.config.OmenConfig;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;

import java.nio.charset.StandardCharsets;

/**
 * The meta group's member registry: where each node that registered itself can be reached. One key per node,
 * {@code "member/" + node id (UTF-8)}, outside the range table's {@code range/} prefix; the value is a checksummed
 * frame holding the node id, its Raft address, its HTTP address (empty when it has none) and, in records of kind
 * {@value #KIND_WITH_ZONE}, its zone ({@code [cluster] zone}). A member without a zone is written as before zones
 * existed (kind {@value #KIND}), so nodes of an older build keep reading the registry of a cluster that labels no zone;
 * records of kind {@value #KIND} decode with zone "". A node joining a running
 * cluster registers itself before it takes any replica, which is how the other nodes' clients learn its address
 * (their files never name it); the members of the initial configuration register themselves too, so an id they hold
 * cannot be taken by a joining node. Stateless.
 */
public final class MemberRecordCodec {
    public static final byte[] KEY_PREFIX = "member/".getBytes(StandardCharsets.UTF_8);
    /** Exclusive end of the {@code member/} key prefix ('/' + 1 = '0'). */
    public static final byte[] KEY_PREFIX_END = "member0".getBytes(StandardCharsets.UTF_8);
    private static final int KIND = 3;
    /** {@link #KIND} followed by the member's zone. */
    private static final int KIND_WITH_ZONE = 4;

    private MemberRecordCodec() {
    }

    public static byte[] key(String nodeId) {
        return MetaKeys.withId(KEY_PREFIX, nodeId);
    }

    public static byte[] encode(OmenConfig.Member m) {
        FrameWriter w = new FrameWriter(m.zone().isEmpty() ? KIND : KIND_WITH_ZONE).writeBytes(utf8(m.id()))
                .writeBytes(utf8(m.raftAddress())).writeBytes(utf8(m.httpAddress()));
        return (m.zone().isEmpty() ? w : w.writeBytes(utf8(m.zone()))).finish();
    }

    /** The member a record holds; {@code key} is the record's key, whose id the record must repeat. */
    public static OmenConfig.Member decode(byte[] key, byte[] frame) {
        FrameReader r = new FrameReader(frame);
        if (r.kind() != KIND && r.kind() != KIND_WITH_ZONE) {
            throw new CorruptFrameException("unknown member record kind " + r.kind());
        }
        OmenConfig.Member m = new OmenConfig.Member(string(r.readBytes()), string(r.readBytes()),
                string(r.readBytes()), r.kind() == KIND_WITH_ZONE ? string(r.readBytes()) : "");
        r.expectEnd();
        if (!m.id().equals(MetaKeys.idOf(KEY_PREFIX, key))) {
            throw new CorruptFrameException("member record of '" + m.id() + "' stored under the key of '"
                    + MetaKeys.idOf(KEY_PREFIX, key) + "'");
        }
        return m;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
