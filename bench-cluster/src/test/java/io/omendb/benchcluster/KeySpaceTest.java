package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class KeySpaceTest {
    @Test
    void keysAreSixteenBytesInIndexOrderAndSplitEvenly() {
        KeySpace keys = new KeySpace(1_000_000);
        assertEquals(KeySpace.KEY_BYTES, keys.key(0).length);
        assertEquals("key:000000999999", keys.keyString(999_999));
        assertEquals(List.of("key:000000250000", "key:000000500000", "key:000000750000"), keys.splitPoints(4));
        assertThrows(IllegalArgumentException.class, () -> keys.key(1_000_000));
    }

    @Test
    void workloadMixes() {
        assertEquals(Workload.Op.PUT, Workload.WRITE.pick(0.0));
        assertEquals(Workload.Op.GET, Workload.READ.pick(0.99));
        assertEquals(Workload.Op.GET, Workload.MIXED.pick(0.949));
        assertEquals(Workload.Op.PUT, Workload.MIXED.pick(0.951));
        assertEquals(Workload.Op.SCAN, Workload.SCAN.pick(0.5));
        assertThrows(IllegalArgumentException.class, () -> Workload.parse("delete"));
    }
}
