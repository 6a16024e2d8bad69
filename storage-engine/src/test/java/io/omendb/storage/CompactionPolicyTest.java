package io.omendb.storage;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Which segments {@link CompactionPolicy} merges, by bytes and by records (sizes newest first). */
class CompactionPolicyTest {
    private static final long MIB = 1L << 20;
    private static final int FAN_IN = 4;
    private static final long RECORDS_BASE = 200_000;
    private static final long WINDOW_BYTES_MAX = 1L << 30;

    private record Seg(long dataBytes, long records) implements CompactionPolicy.Sized {
    }

    private static final CompactionPolicy POLICY =
            new CompactionPolicy(FAN_IN, 16 * MIB, RECORDS_BASE, WINDOW_BYTES_MAX, FAN_IN * 4);

    /** Segments of 64 KiB values: {@code mib} MiB each. */
    private static List<Seg> large(long... mib) {
        List<Seg> out = new ArrayList<>();
        for (long m : mib) {
            out.add(new Seg(m * MIB, m * 16));
        }
        return out;
    }

    @Test
    void largeValueTiersFollowBytes() {
        assertEquals(0, POLICY.tier(16 * MIB, 256));
        assertEquals(0, POLICY.tier(31 * MIB, 496));
        assertEquals(1, POLICY.tier(63 * MIB, 1008)); // four slightly short flushes still land one tier up
        assertEquals(2, POLICY.tier(256 * MIB, 4096));
        assertEquals(3, POLICY.tier(1024 * MIB, 16384));
    }

    @Test
    void smallRecordTiersFollowRecords() {
        assertEquals(0, POLICY.tier(5 * MIB, 200_000)); // 24-byte records: a flush at retrain_threshold
        assertEquals(1, POLICY.tier(19 * MIB, 800_000));
        assertEquals(2, POLICY.tier(77 * MIB, 3_200_000));
    }

    @Test
    void fourFreshFlushesMerge() {
        List<Seg> segs = large(16, 16, 16, 16);
        assertEquals(segs, POLICY.pick(segs));
    }

    @Test
    void newFlushesDoNotReMergeALargerTier() {
        // Counting records, all of these were tier 0 and the whole range merged again.
        assertNull(POLICY.pick(large(16, 16, 16, 64)));
        assertNull(POLICY.pick(large(16, 16, 16, 64, 64, 64, 256)));
    }

    @Test
    void theNewestFullRunMerges() {
        List<Seg> segs = large(16, 16, 64, 64, 64, 64, 256);
        List<Seg> picked = POLICY.pick(segs);
        assertEquals(4, picked.size());
        assertSame(segs.get(2), picked.get(0));
        assertSame(segs.get(5), picked.get(3));
    }

    @Test
    void aWindowNeverExceedsTheLargestSegment() {
        // Four 400 MiB segments: merging all would write two 1 GiB-capped outputs and gain nothing.
        assertNull(POLICY.pick(large(400, 400, 400, 400)));
        // Five 200 MiB: the newest five fit (1000 MiB); six would not.
        List<Seg> segs = large(200, 200, 200, 200, 200, 200);
        assertEquals(5, POLICY.pick(segs).size());
    }

    @Test
    void tooManySegmentsMergeTheSmallestAdjacentOnes() {
        List<Seg> segs = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            segs.addAll(large(16, 64)); // alternating tiers: no run of four
        }
        assertNull(POLICY.pick(segs.subList(0, 16)));
        List<Seg> picked = POLICY.pick(segs.subList(0, 17));
        assertEquals(FAN_IN, picked.size());
        assertEquals(160 * MIB, picked.stream().mapToLong(Seg::dataBytes).sum());
    }
}
