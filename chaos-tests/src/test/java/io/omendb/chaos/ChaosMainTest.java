package io.omendb.chaos;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ChaosMainTest {
    @Test
    void preloadBytesTakeBinaryUnits() {
        assertEquals(1L << 30, ChaosMain.parseBytes("1g"));
        assertEquals(512L << 20, ChaosMain.parseBytes("512M"));
        assertEquals(100L << 10, ChaosMain.parseBytes("100k"));
        assertEquals(12_345, ChaosMain.parseBytes("12345"));
        for (String bad : new String[] {"", "g", "0", "-1g", "65g", "1.5g", "1t"}) {
            assertThrows(IllegalArgumentException.class, () -> ChaosMain.parseBytes(bad), bad);
        }
    }

    @Test
    void nodeHeapIsInMiBBetween128mAnd16g() {
        assertEquals(2048, ChaosMain.parseNodeHeapMb("2g"));
        assertEquals(384, ChaosMain.parseNodeHeapMb("384m"));
        for (String bad : new String[] {"127m", "17g", "x", "0"}) {
            assertThrows(IllegalArgumentException.class, () -> ChaosMain.parseNodeHeapMb(bad), bad);
        }
    }

    @Test
    void samplesAreAPositiveBoundedCount() {
        assertEquals(30, ChaosMain.parseSamples("30"));
        for (String bad : new String[] {"0", "-3", "x", "10001"}) {
            assertThrows(IllegalArgumentException.class, () -> ChaosMain.parseSamples(bad), bad);
        }
    }
}
