package io.omendb.raft.meta;

import io.omendb.placement.NodeState;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.storage.Bytes;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeStateCodecTest {
    @Test
    void everyRecordedStateRoundTrips() {
        for (NodeState s : NodeState.values()) {
            if (s != NodeState.SUSPECT) {
                assertEquals(s, NodeStateCodec.decode(NodeStateCodec.encode(s)));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> NodeStateCodec.encode(NodeState.SUSPECT));
    }

    @Test
    void keysLieInTheirPrefixApartFromTheRangeTable() {
        byte[] key = NodeStateCodec.key("n-4.b");
        assertEquals("n-4.b", NodeStateCodec.nodeId(key));
        assertTrue(Bytes.compare(key, NodeStateCodec.KEY_PREFIX) >= 0 && Bytes.compare(key, NodeStateCodec.KEY_PREFIX_END) < 0);
        assertTrue(Bytes.compare(key, RangeDescriptorCodec.KEY_PREFIX) < 0, "node/ sorts before range/");
    }

    @Test
    void aDamagedOrForeignFrameIsRefused() {
        byte[] frame = NodeStateCodec.encode(NodeState.DRAINING);
        frame[frame.length - 1] ^= 1;
        assertThrows(CorruptFrameException.class, () -> NodeStateCodec.decode(frame));
        assertThrows(CorruptFrameException.class, () -> NodeStateCodec.decode(RangeDescriptorCodec.encode(
                new RangeDescriptor(1, new byte[0], null, java.util.UUID.randomUUID(), java.util.List.of("n1"), 1))));
    }
}
