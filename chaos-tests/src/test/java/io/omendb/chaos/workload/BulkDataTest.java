package io.omendb.chaos.workload;

import io.omendb.chaos.report.ContentDigest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BulkDataTest {
    private final KeySpace keys = new KeySpace(4, 6, 60_000);

    @Test
    void valuesAreDeterministicUniqueAndSpreadEvenlyOverTheRanges() {
        BulkData b = new BulkData(keys, 1L << 30, 7);
        assertEquals(4_096, b.valuesPerRange());
        assertEquals(1L << 30, b.totalBytes());
        assertEquals(BulkData.VALUE_BYTES, b.value(0, 0).length());
        assertEquals(b.value(2, 5), new BulkData(keys, 1L << 30, 7).value(2, 5));
        assertNotEquals(b.value(2, 5), b.value(2, 6));
        assertNotEquals(b.value(2, 5), b.value(3, 5));
        assertNotEquals(b.value(2, 5), new BulkData(keys, 1L << 30, 8).value(2, 5));
        assertEquals(0, new BulkData(keys, 0, 7).valuesPerRange());
    }

    @Test
    void theExpectedDigestIsThatOfTheKeysAndValuesInScanOrder() {
        BulkData b = new BulkData(keys, 4L * 3 * BulkData.VALUE_BYTES, 1);
        ContentDigest d = new ContentDigest();
        for (int i = 0; i < 3; i++) {
            d.add(keys.bulkKey(1, i), b.value(1, i));
        }
        assertEquals(d.result(), b.expectedDigest(1));
        assertTrue(b.expectedDigest(1).startsWith("3 keys, sha256 "));
        assertNotEquals(b.expectedDigest(1), b.expectedDigest(2));
    }

    @Test
    void bulkKeysSortInsideTheirIntervalAndRangeAndAfterNoWorkloadKey() {
        for (int r = 0; r < 4; r++) {
            String k = keys.bulkKey(r, 12);
            assertTrue(k.compareTo(keys.bulkStart(r)) >= 0 && k.compareTo(keys.bulkEnd(r)) < 0, k);
            assertTrue(keys.bulkKey(r, 9).compareTo(keys.bulkKey(r, 10)) < 0, "zero-padded: number order");
            for (String other : List.of(keys.probeKey(r), keys.preloadKey(r, 3), keys.key(r, 2, 1))) {
                assertTrue(other.compareTo(keys.bulkStart(r)) < 0 || other.compareTo(keys.bulkEnd(r)) >= 0, other);
            }
        }
    }

    @Test
    void splitCutsAnIntervalAtTheBulkIntervalsInKeyOrder() {
        BulkData b = new BulkData(keys, 0, 1);
        assertEquals(List.of(new BulkData.Piece("", "k0/bulk/", -1), new BulkData.Piece("k0/bulk/", "k0/bulk0", 0),
                new BulkData.Piece("k0/bulk0", "k1/bulk/", -1), new BulkData.Piece("k1/bulk/", "k1/bulk0", 1),
                new BulkData.Piece("k1/bulk0", "k2/bulk/", -1), new BulkData.Piece("k2/bulk/", "k2/bulk0", 2),
                new BulkData.Piece("k2/bulk0", "k3/bulk/", -1), new BulkData.Piece("k3/bulk/", "k3/bulk0", 3),
                new BulkData.Piece("k3/bulk0", "", -1)), b.split("", ""));
        assertEquals(List.of(new BulkData.Piece("k1", "k1/bulk/", -1), new BulkData.Piece("k1/bulk/", "k1/bulk0", 1),
                new BulkData.Piece("k1/bulk0", "k2", -1)), b.split("k1", "k2"), "one range");
        assertEquals(List.of(new BulkData.Piece("k1/bulk/00000005", "k1/bulk0", 1),
                new BulkData.Piece("k1/bulk0", "k1/c", -1)), b.split("k1/bulk/00000005", "k1/c"), "starts inside");
        assertEquals(List.of(new BulkData.Piece("k1/e", "k1/z", -1)), b.split("k1/e", "k1/z"), "misses every one");
    }

    @Test
    void contentDigestRefusesKeysOutOfScanOrder() {
        ContentDigest d = new ContentDigest().add("b", "1");
        assertThrows(IllegalArgumentException.class, () -> d.add("a", "2"));
        assertThrows(IllegalArgumentException.class, () -> d.add("b", "2"));
    }
}
