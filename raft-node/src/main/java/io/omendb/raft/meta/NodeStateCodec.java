package io.omendb.raft.meta;

import io.omendb.placement.NodeState;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;

import java.nio.charset.StandardCharsets;

/**
 * How a node's recorded state (DRAINING once an operator decommissions it, REMOVED once drained) is stored in the
 * meta group: one key per node, {@code "node/" + node id (UTF-8)}, outside the range table's {@code range/} prefix;
 * the value is a checksummed frame holding the state's name. A node without a key is LIVE (a REMOVED node's key is
 * deleted when a joining node on another data directory takes its id). SUSPECT is derived from
 * who answers, never recorded. Stateless.
 */
public final class NodeStateCodec {
    public static final byte[] KEY_PREFIX = "node/".getBytes(StandardCharsets.UTF_8);
    /** Exclusive end of the {@code node/} key prefix ('/' + 1 = '0'). */
    public static final byte[] KEY_PREFIX_END = "node0".getBytes(StandardCharsets.UTF_8);
    private static final int KIND = 2;

    private NodeStateCodec() {
    }

    public static byte[] key(String nodeId) {
        return MetaKeys.withId(KEY_PREFIX, nodeId);
    }

    /** The node id a key of the {@code node/} prefix names. */
    public static String nodeId(byte[] key) {
        return MetaKeys.idOf(KEY_PREFIX, key);
    }

    public static byte[] encode(NodeState state) {
        if (state == NodeState.SUSPECT) {
            throw new IllegalArgumentException("SUSPECT is derived, never recorded");
        }
        return new FrameWriter(KIND).writeBytes(state.name().getBytes(StandardCharsets.UTF_8)).finish();
    }

    public static NodeState decode(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        if (r.kind() != KIND) {
            throw new CorruptFrameException("unknown node state kind " + r.kind());
        }
        String name = new String(r.readBytes(), StandardCharsets.UTF_8);
        r.expectEnd();
        try {
            return NodeState.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new CorruptFrameException("unknown node state " + name);
        }
    }
}
