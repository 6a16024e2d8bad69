package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ZipfianKeysTest {
    private static final int N = 10_000;
    private static final int DRAWS = 400_000;

    @Test
    void ranksFollowZipfShareOfTheHottestItemsAndStayInRange() {
        ZipfianKeys zipf = new ZipfianKeys(N, ZipfianKeys.THETA_YCSB, new Random(7), false);
        int[] counts = new int[N];
        for (int i = 0; i < DRAWS; i++) {
            long r = zipf.nextRank();
            assertTrue(r >= 0 && r < N, "rank out of range: " + r);
            counts[(int) r]++;
        }
        double zetaN = ZipfianKeys.zeta(N, ZipfianKeys.THETA_YCSB);
        for (int rank : new int[] {0, 1, 9}) {
            double expected = DRAWS / Math.pow(rank + 1, ZipfianKeys.THETA_YCSB) / zetaN;
            assertEquals(expected, counts[rank], expected * 0.05, "count of rank " + rank);
        }
        assertTrue(counts[0] > counts[1] && counts[1] > counts[9] && counts[9] > counts[999]);
    }

    @Test
    void hottestProbabilityIsOneOverZeta() {
        ZipfianKeys zipf = new ZipfianKeys(2, 0.5, new Random(1), false);
        assertEquals(1.0 / (1.0 + 1.0 / Math.sqrt(2)), zipf.hottestProbability(), 1e-12);
    }

    @Test
    void scrambledKeysSpreadTheHotItemsOverTheKeySpace() {
        KeyChooser chooser = KeyChooser.of("zipfian", N, 11);
        int[] quarter = new int[4];
        for (int i = 0; i < DRAWS; i++) {
            long k = chooser.next();
            assertTrue(k >= 0 && k < N, "key out of range: " + k);
            quarter[(int) (k * 4 / N)]++;
        }
        for (int q : quarter) {
            assertTrue(q > DRAWS / 10, "every quarter of the key space gets a fair share: " + q);
        }
    }

    @Test
    void sameSeedSameSequence() {
        long[] a = new long[100];
        long[] b = new long[100];
        KeyChooser x = KeyChooser.of("zipfian", 1_000_000, 3);
        KeyChooser y = KeyChooser.of("zipfian", 1_000_000, 3);
        for (int i = 0; i < a.length; i++) {
            a[i] = x.next();
            b[i] = y.next();
        }
        assertArrayEquals(a, b);
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ZipfianKeys(1, 0.99, new Random(), true));
        assertThrows(IllegalArgumentException.class, () -> new ZipfianKeys(10, 1.0, new Random(), true));
        assertThrows(IllegalArgumentException.class, () -> KeyChooser.of("gaussian", 10, 1));
    }
}
