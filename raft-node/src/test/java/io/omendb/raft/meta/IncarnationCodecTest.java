package io.omendb.raft.meta;

import io.omendb.placement.NodeState;
import io.omendb.raft.wire.CorruptFrameException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IncarnationCodecTest {
    @Test
    void roundTripsEveryPositiveIncarnationAndShowsSixteenHexDigits() {
        for (long v : new long[]{1, 0x7fff_ffff_ffff_ffffL, 0x3f9c_2a71_d04b_e588L}) {
            assertEquals(v, IncarnationCodec.decode(IncarnationCodec.encode(v)));
        }
        assertEquals("000000000000002a", IncarnationCodec.shown(42));
        assertEquals("n3", IncarnationCodec.nodeId(IncarnationCodec.key("n3")));
    }

    @Test
    void zeroIsNeverRecordedAndADamagedRecordIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> IncarnationCodec.encode(0));
        byte[] frame = IncarnationCodec.encode(77);
        frame[frame.length - 1] ^= 1;
        assertThrows(CorruptFrameException.class, () -> IncarnationCodec.decode(frame));
        assertThrows(CorruptFrameException.class, () -> IncarnationCodec.decode(NodeStateCodec.encode(
                NodeState.DRAINING)));
    }
}
