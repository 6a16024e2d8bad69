package io.omendb.raft.meta;

import io.omendb.config.OmenConfig;
import io.omendb.placement.NodeState;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.storage.Bytes;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemberRecordCodecTest {
    private static final OmenConfig.Member N4 = new OmenConfig.Member("n4", "10.0.0.4:7000", "10.0.0.4:3000");
    /** {@link #N4} as the build before zones wrote it (kind 3: id, Raft address, HTTP address). */
    private static final String OLD_N4_RECORD = "0103026e340d31302e302e302e343a373030300d31302e302e302e343a333030304a3f7f70";

    @Test
    void aMemberRoundTripsWithOrWithoutAnHttpAddress() {
        assertEquals(N4, MemberRecordCodec.decode(MemberRecordCodec.key("n4"), MemberRecordCodec.encode(N4)));
        OmenConfig.Member noHttp = new OmenConfig.Member("n-5.b", "h:1", "");
        assertEquals(noHttp, MemberRecordCodec.decode(MemberRecordCodec.key("n-5.b"),
                MemberRecordCodec.encode(noHttp)));
    }

    @Test
    void aZoneRoundTripsAndARecordWithoutOneIsWrittenAsBeforeZones() {
        OmenConfig.Member zoned = N4.withZone("eu-west-1a");
        assertEquals(zoned, MemberRecordCodec.decode(MemberRecordCodec.key("n4"), MemberRecordCodec.encode(zoned)));
        assertEquals(OLD_N4_RECORD, HexFormat.of().formatHex(MemberRecordCodec.encode(N4)));
    }

    /** A record written before zones existed (the build that added the registry) still decodes, with zone "". */
    @Test
    void aRecordWrittenBeforeZonesStillDecodes() {
        assertEquals(N4, MemberRecordCodec.decode(MemberRecordCodec.key("n4"), HexFormat.of().parseHex(OLD_N4_RECORD)));
        assertEquals("", MemberRecordCodec.decode(MemberRecordCodec.key("n4"), HexFormat.of().parseHex(OLD_N4_RECORD))
                .zone());
    }

    @Test
    void keysLieInTheirPrefixApartFromNodeStatesAndTheRangeTable() {
        byte[] key = MemberRecordCodec.key("n4");
        assertTrue(Bytes.compare(key, MemberRecordCodec.KEY_PREFIX) >= 0
                && Bytes.compare(key, MemberRecordCodec.KEY_PREFIX_END) < 0);
        assertTrue(Bytes.compare(MemberRecordCodec.KEY_PREFIX_END, MergeTombstone.KEY_PREFIX) <= 0,
                "member/ sorts before merged/");
        assertTrue(Bytes.compare(MemberRecordCodec.KEY_PREFIX_END, NodeStateCodec.KEY_PREFIX) < 0);
        assertTrue(Bytes.compare(MemberRecordCodec.KEY_PREFIX_END, RangeDescriptorCodec.KEY_PREFIX) < 0);
    }

    @Test
    void aDamagedForeignOrMisfiledRecordIsRefused() {
        byte[] frame = MemberRecordCodec.encode(N4);
        frame[frame.length - 1] ^= 1;
        assertThrows(CorruptFrameException.class, () -> MemberRecordCodec.decode(MemberRecordCodec.key("n4"), frame));
        assertThrows(CorruptFrameException.class, () -> MemberRecordCodec.decode(MemberRecordCodec.key("n4"),
                NodeStateCodec.encode(NodeState.DRAINING)));
        assertThrows(CorruptFrameException.class, () -> MemberRecordCodec.decode(MemberRecordCodec.key("n5"),
                MemberRecordCodec.encode(N4)));
    }
}
