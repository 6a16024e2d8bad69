package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class KeyPermutationTest {
    @Test
    void everyIndexComesExactlyOnce() {
        // 1, 2, primes, powers of two, and counts sharing factors with the golden-ratio stride's neighbours
        for (long n : new long[]{1, 2, 3, 10, 64, 97, 100, 1000, 4096, 65_535, 65_536, 65_280}) {
            KeyPermutation p = new KeyPermutation(n);
            BitSet seen = new BitSet((int) n);
            for (long i = 0; i < n; i++) {
                long index = p.index(i);
                assertTrue(index >= 0 && index < n, "n " + n + " i " + i + " -> " + index);
                assertTrue(!seen.get((int) index), "n " + n + ": index " + index + " twice");
                seen.set((int) index);
            }
            assertEquals(n, seen.cardinality(), "n " + n);
            assertEquals(BigInteger.ONE, BigInteger.valueOf(p.stride()).gcd(BigInteger.valueOf(n)));
        }
    }

    @Test
    void anyPrefixIsSpreadOverTheKeySpace() {
        long n = 262_144;
        KeyPermutation p = new KeyPermutation(n);
        int quarters = 4;
        for (long prefix : new long[]{1_000, 10_000, 100_000}) {
            long[] perQuarter = new long[quarters];
            for (long i = 0; i < prefix; i++) {
                perQuarter[(int) (p.index(i) * quarters / n)]++;
            }
            for (long c : perQuarter) {
                assertTrue(Math.abs(c - prefix / quarters) <= prefix / quarters / 20,
                        "prefix " + prefix + ": a quarter got " + c);
            }
        }
    }

    @Test
    void largeKeyCountsDoNotOverflow() {
        long n = 999_999_999_999L;
        KeyPermutation p = new KeyPermutation(n);
        long last = p.index(n - 1);
        assertEquals(BigInteger.valueOf(n - 1).multiply(BigInteger.valueOf(p.stride())).mod(BigInteger.valueOf(n))
                .longValue(), last);
        assertThrows(IllegalArgumentException.class, () -> p.index(n));
        assertThrows(IllegalArgumentException.class, () -> new KeyPermutation(0));
    }
}
